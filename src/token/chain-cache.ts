import { LRUCache } from 'lru-cache'
import type { TokenIdentifier } from './identifier.js'
import type { KeyRing } from './keyring.js'

/** What a successful signature check proved about one exact token string. */
export interface VerifiedChain {
  readonly id: TokenIdentifier
  /** Signature of every prefix of the primary's chain (for per-token revocation), as latin1 digest strings. */
  readonly prefixSignatures: readonly string[]
  readonly signature: Uint8Array
  /** First-party caveat texts of the primary, then of each discharge. */
  readonly primaryCaveats: readonly string[]
  readonly dischargeCaveats: readonly (readonly string[])[]
}

/** The whole cache's budget, whatever the tokens' size (#15 item 2). */
export const CHAIN_CACHE_MAX_BYTES = 2 * 1024 * 1024
/** A token whose entry would cost more is verified every time, never kept. */
export const CHAIN_CACHE_MAX_ENTRY_BYTES = 4 * 1024

interface Entry {
  readonly ring: KeyRing
  readonly chain: VerifiedChain
}

/**
 * What an entry holds, over-estimated: the key string, the caveat texts, a string or typed array
 * per signature (under 160 bytes each), the objects around them, and the cache's own node.
 */
export function chainEntryBytes(token: string, chain: VerifiedChain): number {
  let bytes = 1280 + token.length + 160 * (chain.prefixSignatures.length + 1)
  for (const text of chain.primaryCaveats) bytes += 48 + text.length
  for (const texts of chain.dischargeCaveats) {
    bytes += 48
    for (const text of texts) bytes += 48 + text.length
  }
  return bytes
}

const cache = new LRUCache<string, Entry>({
  maxSize: CHAIN_CACHE_MAX_BYTES,
  maxEntrySize: CHAIN_CACHE_MAX_ENTRY_BYTES,
  sizeCalculation: (entry, token) => chainEntryBytes(token, entry.chain),
})

/**
 * The chain a token string verified under this exact key ring, if it is still remembered.
 * A service sees the same tokens over and over; a hit skips decoding and HMACs, never the
 * revocation or caveat checks. Only an exact copy of a verified token hits, and a new ring
 * object (rotation, retirement) never does.
 *
 * @example
 * const chain = cachedChain(token, ring) ?? verifySignatures(token, ring)
 */
export function cachedChain(token: string, ring: KeyRing): VerifiedChain | undefined {
  const entry = cache.get(token)
  return entry !== undefined && entry.ring === ring ? entry.chain : undefined
}

/**
 * Remembers a chain whose signatures verified. The cache is bounded in bytes
 * (`CHAIN_CACHE_MAX_BYTES`, least recently used out first) and large tokens are never kept
 * (`CHAIN_CACHE_MAX_ENTRY_BYTES`), so what distinct tokens can make this process hold is small
 * and independent of what they carry.
 *
 * @example
 * rememberChain(token, ring, chain)
 */
export function rememberChain(token: string, ring: KeyRing, chain: VerifiedChain): void {
  cache.set(token, { ring, chain })
}

/** Bytes the cache accounts for now (at most `CHAIN_CACHE_MAX_BYTES`). */
export function chainCacheBytes(): number {
  return cache.calculatedSize
}
