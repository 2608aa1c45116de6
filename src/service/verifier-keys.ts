import { LRUCache } from 'lru-cache'
import type { KeyWithOwner } from '../store/index.js'

/** How long a verifier's key row is reused. */
export const VERIFIER_KEY_TTL_MS = 2000
/** Most rows held: one per verifier token in use; bounded whatever callers present. */
const MAX_KEYS = 10_000

/**
 * The key rows behind the tokens on the verifier routes (the feed, `/v1/verify`, `/v1/usage`),
 * reused for {@link VERIFIER_KEY_TTL_MS}. A verifier long-polls the feed with one token and polls
 * again after every revocation: every verifier at once, each time. On PostgreSQL each of those polls
 * was a round trip for the same row (#17: 100 verifiers, 100 reads per revocation).
 *
 * Reusing the row cannot let a revoked key in: authentication syncs the feed first (a read started
 * after the request arrived) and refuses a token whose key has an entry in force, and every change
 * to a key that authentication depends on — revocation, replacement, rotation, the unused-key job —
 * writes that entry in the same transaction, on the feed before the change is acknowledged (on
 * PostgreSQL the entry is numbered right after the commit; an instance that dies in between leaves
 * it to another's sweep, within a second, for a change its caller never saw acknowledged). What
 * may be a moment old is what no verifier route shows: last use, name, the derived status.
 *
 * @example
 * let found = cache.get(tokenId)
 * if (found === undefined) cache.remember(tokenId, (found = await store.keys.getWithOwner(tokenId, now)))
 */
export class VerifierKeyCache {
  readonly #rows = new LRUCache<string, KeyWithOwner>({ max: MAX_KEYS, ttl: VERIFIER_KEY_TTL_MS })

  get(tokenId: string): KeyWithOwner | undefined {
    return this.#rows.get(tokenId)
  }

  /** Keeps a row that authenticates (active key, known owner); anything else is read again. */
  remember(tokenId: string, found: KeyWithOwner | undefined): void {
    if (found !== undefined && found.key.revokedAt === null && found.owner !== undefined) {
      this.#rows.set(tokenId, found)
    }
  }
}
