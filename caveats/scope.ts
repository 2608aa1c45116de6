import { app } from './app.js'
import { aud } from './aud.js'
import { builtinCaveatKinds } from './builtins.js'
import { device } from './device.js'
import { expires } from './expires.js'
import { ip } from './ip.js'
import { notBefore } from './not-before.js'
import { ops } from './ops.js'
import { org } from './org.js'
import type { CaveatKind, ParsedCaveat } from './types.js'

/** What a token's caveats admit together; `null` means unrestricted, `[]` admits nothing. */
export interface EffectiveScope {
  orgs: string[] | null
  apps: string[] | null
  ops: string[] | null
  devices: string[] | null
  /** Ranges as text (`10.0.0.0/8`, `203.0.113.7`). */
  ips: string[] | null
  expiresAt: Date | null
  notBefore: Date | null
  /** Audiences (`aud`), canonical: the resources the token may be presented to. */
  audiences: string[] | null
  /** Texts of caveats of other (service-defined) kinds, as given. */
  other: string[]
}

function isOf<T>(caveat: ParsedCaveat, kind: CaveatKind<T>): caveat is ParsedCaveat<T> {
  return caveat.kind === kind
}

/** All caveats of one kind intersected, or null if there are none. */
function narrowest<T>(parsed: readonly ParsedCaveat[], kind: CaveatKind<T>): T | null {
  let value: T | null = null
  for (const caveat of parsed) {
    if (isOf(caveat, kind)) value = value === null ? caveat.value : kind.intersect(value, caveat.value)
  }
  return value
}

/**
 * Summarises parsed caveats into the scope they admit together, each kind's caveats
 * intersected (what `inspect` shows). Built-in kinds are recognised by identity.
 *
 * @example
 * effectiveScope(['ops = read,write', 'ops = read'].map((t) => registry.parseCaveat(t))).ops // ['read']
 */
export function effectiveScope(parsed: readonly ParsedCaveat[]): EffectiveScope {
  const list = (kind: CaveatKind<readonly string[]>): string[] | null => {
    const value = narrowest(parsed, kind)
    return value === null ? null : [...value]
  }
  const instant = (kind: CaveatKind<number>): Date | null => {
    const value = narrowest(parsed, kind)
    return value === null ? null : new Date(value)
  }
  const ranges = narrowest(parsed, ip)
  return {
    orgs: list(org),
    apps: list(app),
    ops: list(ops),
    devices: list(device),
    ips: ranges === null ? null : ranges.map((range) => ip.format([range])),
    expiresAt: instant(expires),
    notBefore: instant(notBefore),
    audiences: list(aud),
    other: parsed.filter((caveat) => !builtinCaveatKinds.includes(caveat.kind)).map((caveat) => caveat.text),
  }
}
