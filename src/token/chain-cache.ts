import type { TokenIdentifier } from './identifier.js'
import type { KeyRing } from './keyring.js'

/** What a successful signature check proved about one exact token string. */
export interface VerifiedChain {
  readonly id: TokenIdentifier
  /** Signature of every prefix of the primary's chain (for per-token revocation). */
  readonly prefixSignatures: readonly Uint8Array[]
  readonly signature: Uint8Array
  /** First-party caveat texts of the primary, then of each discharge. */
  readonly primaryCaveats: readonly string[]
  readonly dischargeCaveats: readonly (readonly string[])[]
}

const MAX_ENTRIES = 10_000
const caches = new WeakMap<KeyRing, Map<string, VerifiedChain>>()

/**
 * A bounded memo of token strings whose signature chain verified under a given key ring.
 * Services see the same tokens over and over; a hit skips decoding and HMACs, never the
 * revocation or caveat checks. Keyed by the full string, so only an exact copy of a verified
 * token hits; a new ring object (rotation, retirement) starts empty.
 */
export function chainCacheFor(ring: KeyRing): Map<string, VerifiedChain> {
  let cache = caches.get(ring)
  if (cache === undefined) {
    cache = new Map()
    caches.set(ring, cache)
  }
  return cache
}

/** Remembers a verified chain, evicting the oldest entry when full. */
export function rememberChain(cache: Map<string, VerifiedChain>, token: string, chain: VerifiedChain): void {
  if (cache.size >= MAX_ENTRIES) {
    const oldest = cache.keys().next()
    if (oldest.done !== true) cache.delete(oldest.value)
  }
  cache.set(token, chain)
}
