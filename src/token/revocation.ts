import { createHash } from 'node:crypto'

/** One revocation: the whole token (and everything derived), or one attenuated token and its descendants. */
export interface RevocationEntry {
  readonly tokenId: string
  readonly revocationId?: string
  /** When the root token would have expired anyway; the entry can be dropped after. */
  readonly expiresAt: Date
}

const DOMAIN = new TextEncoder().encode('crumb revocation id v1\0')

/**
 * The revocation id of a token: a one-way hash of its signature, so publishing it in the feed
 * reveals nothing usable.
 *
 * @example
 * revocationIdOf(macaroon.signature) // "9hXq…" (22 chars)
 */
export function revocationIdOf(signature: Uint8Array): string {
  return createHash('sha256').update(DOMAIN).update(signature).digest().subarray(0, 16).toString('base64url')
}

/**
 * The revocation list a verifier holds in memory. Lookups are by token id first, so a token
 * whose id has no pair entries costs one Map lookup and no hashing.
 *
 * @example
 * const list = new RevocationList()
 * list.add({ tokenId: 'tok_…', expiresAt: new Date('2027-01-01') })
 */
export class RevocationList {
  readonly #tokens = new Map<string, number>()
  readonly #pairs = new Map<string, Map<string, number>>()
  #pairCount = 0

  constructor(entries: Iterable<RevocationEntry> = []) {
    for (const e of entries) this.add(e)
  }

  /** Adds an entry (idempotent). */
  add(entry: RevocationEntry): void {
    const expires = entry.expiresAt.getTime()
    if (entry.revocationId === undefined) {
      this.#tokens.set(entry.tokenId, Math.max(expires, this.#tokens.get(entry.tokenId) ?? 0))
      return
    }
    let pairs = this.#pairs.get(entry.tokenId)
    if (pairs === undefined) {
      pairs = new Map()
      this.#pairs.set(entry.tokenId, pairs)
    }
    if (!pairs.has(entry.revocationId)) this.#pairCount++
    pairs.set(entry.revocationId, expires)
  }

  /** Is the whole token (root and descendants) revoked? */
  isTokenRevoked(tokenId: string): boolean {
    return this.#tokens.has(tokenId)
  }

  /** The revoked revocation ids under a token id, or undefined when there are none. */
  pairsFor(tokenId: string): ReadonlyMap<string, number> | undefined {
    return this.#pairs.get(tokenId)
  }

  /** Drops entries whose root token has expired anyway; returns how many. */
  prune(now: Date = new Date()): number {
    const t = now.getTime()
    let removed = 0
    for (const [id, exp] of this.#tokens) {
      if (exp <= t) {
        this.#tokens.delete(id)
        removed++
      }
    }
    for (const [id, pairs] of this.#pairs) {
      for (const [rid, exp] of pairs) {
        if (exp <= t) {
          pairs.delete(rid)
          this.#pairCount--
          removed++
        }
      }
      if (pairs.size === 0) this.#pairs.delete(id)
    }
    return removed
  }

  /** Forgets everything (before loading a fresh snapshot). */
  clear(): void {
    this.#tokens.clear()
    this.#pairs.clear()
    this.#pairCount = 0
  }

  /** Number of entries of both kinds. */
  get size(): number {
    return this.#tokens.size + this.#pairCount
  }
}
