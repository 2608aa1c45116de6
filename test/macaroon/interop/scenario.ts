/**
 * The macaroon every program in this folder mints and checks (#18 items 13, 14): location "",
 * identifier "", caveats "" (an empty first-party id), "org = acme", a third-party caveat at ""
 * (key "caveat-key-1", id "") and one at "https://auth.example" (key "caveat-key-2", id "tp-2"),
 * with both discharges bound. Empty ids and locations are where the libraries leave fields out.
 */
import { Buffer } from 'node:buffer'
import { expect } from 'vitest'
import { Macaroon } from '../../../src/macaroon/index.js'
import { hex } from '../../helpers/macaroon-view.js'

export const ROOT_KEY = 'root-key'
export const THIRD_PARTIES = [
  { key: 'caveat-key-1', id: '', location: '' },
  { key: 'caveat-key-2', id: 'tp-2', location: 'https://auth.example' },
] as const

/** The predicates the scenario's first-party caveats hold. */
export const holds = (p: string): boolean => p === '' || p === 'org = acme'

/** What a program prints for `mint`: format -> [macaroon, discharge 1, discharge 2]. */
export type MintOutput = Partial<Record<'v1' | 'json-v1' | 'v2' | 'json-v2', string[]>>

/** What a program prints for `check`. */
export interface CheckReport {
  identifier_hex?: string
  signature_hex?: string
  third_party: Array<{ location_hex: string; id_hex: string }>
  verified: boolean
  error: string | null
}

/** The third parties as every program reports them. */
export const EXPECTED_THIRD_PARTY = THIRD_PARTIES.map((t) => ({
  location_hex: Buffer.from(t.location).toString('hex'),
  id_hex: Buffer.from(t.id).toString('hex'),
}))

/**
 * Crumb's side of "the library minted it": crumb decodes every text, finds the same macaroon in each
 * format of one mint, and verifies it with the root key and the bound discharges.
 *
 * @example
 * const [m, ...discharges] = crumbReadsMint(JSON.parse(stdout).v2)
 */
export function crumbReadsMint(texts: readonly string[]): Macaroon[] {
  const [m, ...discharges] = texts.map((t) => Macaroon.decode(t))
  if (m === undefined) throw new Error('no macaroon in the mint output')
  return [m, ...discharges]
}

/** The third-party caveats of `m` as the programs report them. */
export function thirdPartyOf(m: Macaroon): CheckReport['third_party'] {
  return m.caveats
    .filter((c) => c.verificationId !== undefined)
    .map((c) => ({ location_hex: Buffer.from(c.location ?? '').toString('hex'), id_hex: hex(c.identifier) }))
}

/** Asserts crumb verifies the scenario macaroon `ms[0]` with its discharges. */
export function expectCrumbVerifies(ms: readonly Macaroon[]): void {
  const [m, ...discharges] = ms
  expect(m).toBeDefined()
  expect(() => m!.verify(ROOT_KEY, holds, discharges)).not.toThrow()
  expect(hex(m!.identifier)).toBe('')
  expect(thirdPartyOf(m!)).toEqual(EXPECTED_THIRD_PARTY)
}

/**
 * Crumb mints the scenario (V1 or V2) and returns it in the formats a library reads.
 *
 * @example
 * const { v1 } = crumbMint()
 */
export function crumbMint(): Record<'v1' | 'v2' | 'json-v2' | 'json-v1', string[]> {
  let m = Macaroon.mint({ rootKey: ROOT_KEY, identifier: '' })
  m = m.addFirstPartyCaveat('').addFirstPartyCaveat('org = acme')
  for (const t of THIRD_PARTIES)
    m = m.addThirdPartyCaveat({ rootKey: t.key, identifier: t.id, location: t.location })
  const all = [m, ...THIRD_PARTIES.map((t) => Macaroon.mint({ rootKey: t.key, identifier: t.id }).bindTo(m))]
  return {
    v1: all.map((x) => x.toBase64('v1')),
    v2: all.map((x) => x.toBase64('v2')),
    'json-v2': all.map((x) => x.encode('json')),
    'json-v1': all.map((x) => x.encode('json-v1')),
  }
}
