import { CrumbError } from '../errors.js'
import { bytesEqual, utf8OrUndefined } from './bytes.js'
import {
  bindSignature,
  constantTimeEqual,
  type Digest,
  deriveMacaroonKeyDigest,
  digestBytes,
  hmac2Digest,
  hmacDigest,
  hmacStep,
  openSecret,
} from './crypto.js'
import { LIMITS } from './limits.js'
import type { MacaroonData } from './types.js'

/**
 * Decides a first-party caveat. `predicate` is the caveat's UTF-8 text ('' when it is not UTF-8,
 * which no sensible checker accepts); `bytes` is the raw caveat identifier.
 */
export type PredicateChecker = (predicate: string, bytes: Uint8Array) => boolean

/** Called with every signature of the primary's chain, before each caveat and after the last. */
export type ChainObserver = (signature: Uint8Array, caveatsSoFar: number) => void

/** A ChainObserver given each signature as a latin1 digest string (see crypto.ts's `Digest`). */
export type DigestObserver = (signature: Digest, caveatsSoFar: number) => void

function denied(reason: string): CrumbError {
  return new CrumbError('invalid_token', `macaroon verification failed: ${reason}`)
}

/** Refuses oversized requests before any crypto runs. */
export function checkResourceLimits(primary: MacaroonData, discharges: readonly MacaroonData[]): void {
  // The usual request: one macaroon, no discharges, nothing nested.
  if (discharges.length === 0) {
    if (primary.caveats.length > LIMITS.maxCaveats)
      throw denied(`more than ${LIMITS.maxCaveats} caveats in total`)
    return
  }
  if (discharges.length + 1 > LIMITS.maxMacaroons) throw denied(`more than ${LIMITS.maxMacaroons} macaroons`)
  let caveats = primary.caveats.length
  for (const d of discharges) caveats += d.caveats.length
  if (caveats > LIMITS.maxCaveats) throw denied(`more than ${LIMITS.maxCaveats} caveats in total`)
  if (dischargeDepth(primary, discharges) > LIMITS.maxDischargeDepth) {
    throw denied(`discharges nested deeper than ${LIMITS.maxDischargeDepth}`)
  }
}

/**
 * How deep discharges nest below `m`, matched by caveat id alone (no crypto), level by level so
 * hostile inputs cost O(depth × macaroons × caveats). A cycle counts as too deep.
 */
function dischargeDepth(primary: MacaroonData, discharges: readonly MacaroonData[]): number {
  let level: readonly MacaroonData[] = [primary]
  let depth = 0
  while (depth <= LIMITS.maxDischargeDepth) {
    const ids = level.flatMap((m) =>
      m.caveats.filter((c) => c.verificationId !== undefined).map((c) => c.identifier),
    )
    const next =
      ids.length === 0 ? [] : discharges.filter((d) => ids.some((id) => bytesEqual(d.identifier, id)))
    if (next.length === 0) return depth
    level = next
    depth++
  }
  return depth
}

interface VerifyState {
  readonly discharges: readonly MacaroonData[]
  readonly used: boolean[]
  /** Undefined when the caller judges first-party caveats itself (the crumb layer does). */
  readonly check: PredicateChecker | undefined
}

function verifyChain(
  m: MacaroonData,
  key: Uint8Array | Digest,
  primarySignature: Uint8Array | undefined,
  depth: number,
  state: VerifyState,
  observe: DigestObserver | undefined,
): void {
  if (depth > LIMITS.maxDischargeDepth)
    throw denied(`discharges nested deeper than ${LIMITS.maxDischargeDepth}`)
  // The chain's signatures stay latin1 digest strings (no Uint8Array per step); only a
  // third-party caveat's step, and a discharge's binding, need them as bytes.
  let sig = typeof key === 'string' ? hmacStep(key, m.identifier) : hmacDigest(key, m.identifier)
  for (let i = 0; i < m.caveats.length; i++) {
    const c = m.caveats[i]!
    observe?.(sig, i)
    if (c.verificationId === undefined) {
      if (state.check !== undefined && !state.check(utf8OrUndefined(c.identifier) ?? '', c.identifier))
        throw denied(`caveat ${i} not satisfied`)
      sig = hmacStep(sig, c.identifier)
      continue
    }
    const sigBytes = digestBytes(sig)
    const caveatKey = openSecret(sigBytes, c.verificationId)
    if (caveatKey === undefined) throw denied(`caveat ${i}: cannot decrypt verification id`)
    const index = findUnusedDischarge(state, c.identifier)
    if (index === -1) throw denied(`caveat ${i}: no discharge`)
    state.used[index] = true
    // The discharge's own caveats are checked the same way, bound to the primary's signature.
    verifyChain(
      state.discharges[index]!,
      caveatKey,
      primarySignature ?? m.signature,
      depth + 1,
      state,
      undefined,
    )
    sig = hmac2Digest(sigBytes, c.verificationId, c.identifier)
  }
  observe?.(sig, m.caveats.length)
  const final = digestBytes(sig)
  const expected = primarySignature === undefined ? final : bindSignature(primarySignature, final)
  if (!constantTimeEqual(expected, m.signature)) throw denied('signature mismatch')
}

function findUnusedDischarge(state: VerifyState, id: Uint8Array): number {
  for (let i = 0; i < state.discharges.length; i++) {
    if (!state.used[i] && bytesEqual(state.discharges[i]!.identifier, id)) return i
  }
  return -1
}

/**
 * Verifies a macaroon and its discharges against a root key: every first-party caveat must
 * satisfy `check`, every third-party caveat needs exactly one bound discharge, and every
 * discharge must be used. Throws a CrumbError (`invalid_token`) on any failure.
 * `check` undefined verifies the signatures only: for callers that judge the caveats afterwards.
 */
export function verifyMacaroon(
  primary: MacaroonData,
  rootKey: Uint8Array,
  check: PredicateChecker | undefined,
  discharges: readonly MacaroonData[] = [],
  observe?: DigestObserver,
): void {
  checkResourceLimits(primary, discharges)
  const state: VerifyState = { discharges, used: discharges.map(() => false), check }
  verifyChain(primary, deriveMacaroonKeyDigest(rootKey), undefined, 0, state, observe)
  const unused = state.used.indexOf(false)
  if (unused !== -1) throw denied(`discharge ${unused} was not used`)
}
