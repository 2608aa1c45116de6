import { createHash } from 'node:crypto'

/** One revocation: the whole token (and everything derived), or one attenuated token and its descendants. */
export interface RevocationEntry {
  readonly tokenId: string
  readonly revocationId?: string
  /** When the root token would have expired anyway; the entry can be dropped after. */
  readonly expiresAt: Date
  /**
   * A whole-token entry that applies only from this instant (a rotation's grace end): until then
   * the token is not revoked. Absent: revoked now.
   */
  readonly effectiveAt?: Date
}

const DOMAIN = new TextEncoder().encode('crumb revocation id v1\0')

/**
 * The largest clock-skew leeway a verifier may use (5 minutes). A token stays acceptable until its
 * `expires` + leeway, so its revocation entry must be kept at least that long: verifiers keep
 * entries until `expires_at` + this, and refuse (at construction) a larger leeway.
 *
 * @example
 * verifier({ keys, leeway: MAX_VERIFIER_LEEWAY_MS }) // the most it takes
 */
export const MAX_VERIFIER_LEEWAY_MS = 5 * 60_000

/**
 * How long past `expires_at` the token service keeps and ships a revocation entry: the largest
 * verifier leeway plus a minute's margin (for a verifier that syncs late or runs a little behind).
 *
 * @example
 * store.revocations.prune(new Date(Date.now() - REVOCATION_RETENTION_MS))
 */
export const REVOCATION_RETENTION_MS = MAX_VERIFIER_LEEWAY_MS + 60_000

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
  // One map, one lookup per verification: a number means the whole token is revoked (until
  // then); a map holds the revoked revocation ids under that token id.
  readonly #entries = new Map<string, number | Map<string, number>>()
  /**
   * Whole-token entries that apply from an instant (rotation grace): token id → [from, until].
   * Consulted only when not empty, so the common path stays one Map lookup.
   */
  readonly #scheduled = new Map<string, readonly [from: number, until: number]>()
  #size = 0

  constructor(entries: Iterable<RevocationEntry> = []) {
    for (const e of entries) this.add(e)
  }

  /** Adds an entry (idempotent); one effective after `now` (ms, default the clock) waits until then. */
  add(entry: RevocationEntry, now: number = Date.now()): void {
    const expires = entry.expiresAt.getTime()
    const current = this.#entries.get(entry.tokenId)
    const from = entry.effectiveAt?.getTime()
    if (entry.revocationId === undefined && from !== undefined && from > now) {
      // Revoked later (a rotation's grace end): unless it is revoked already, or sooner.
      if (typeof current === 'number') return
      const earlier = this.#scheduled.get(entry.tokenId)
      if (earlier === undefined) this.#size++
      if (earlier === undefined || from < earlier[0]) this.#scheduled.set(entry.tokenId, [from, expires])
      return
    }
    if (entry.revocationId === undefined && this.#scheduled.delete(entry.tokenId)) this.#size--
    if (entry.revocationId === undefined) {
      // The whole token is dead: its pair entries no longer matter.
      if (typeof current === 'number') {
        this.#entries.set(entry.tokenId, Math.max(current, expires))
        return
      }
      this.#size += 1 - (current?.size ?? 0)
      this.#entries.set(entry.tokenId, expires)
      return
    }
    if (typeof current === 'number') return
    if (current === undefined) {
      this.#entries.set(entry.tokenId, new Map([[entry.revocationId, expires]]))
      this.#size++
      return
    }
    if (!current.has(entry.revocationId)) this.#size++
    current.set(entry.revocationId, expires)
  }

  /** Is the whole token (root and descendants) revoked at `now` (default: the clock)? */
  isTokenRevoked(tokenId: string, now?: Date): boolean {
    return typeof this.#entries.get(tokenId) === 'number' || this.#revokedLater(tokenId, now)
  }

  /**
   * What is known about a token id in one lookup: 'revoked' (whole token, at `now`), the revoked
   * revocation ids under it, or undefined when there is nothing.
   */
  lookup(tokenId: string, now?: Date): 'revoked' | ReadonlyMap<string, number> | undefined {
    const e = this.#entries.get(tokenId)
    if (typeof e === 'number' || this.#revokedLater(tokenId, now)) return 'revoked'
    return e
  }

  #revokedLater(tokenId: string, now: Date | undefined): boolean {
    if (this.#scheduled.size === 0) return false
    const s = this.#scheduled.get(tokenId)
    return s !== undefined && (now?.getTime() ?? Date.now()) >= s[0]
  }

  /** Drops entries whose root token has expired anyway; returns how many. */
  prune(now: Date = new Date()): number {
    const t = now.getTime()
    const before = this.#size
    for (const [id, [, until]] of this.#scheduled) {
      if (until <= t) {
        this.#scheduled.delete(id)
        this.#size--
      }
    }
    for (const [id, e] of this.#entries) {
      if (typeof e === 'number') {
        if (e <= t) {
          this.#entries.delete(id)
          this.#size--
        }
        continue
      }
      for (const [rid, exp] of e) {
        if (exp <= t) {
          e.delete(rid)
          this.#size--
        }
      }
      if (e.size === 0) this.#entries.delete(id)
    }
    return before - this.#size
  }

  /** Forgets everything (before loading a fresh snapshot). */
  clear(): void {
    this.#entries.clear()
    this.#scheduled.clear()
    this.#size = 0
  }

  /** Number of entries of both kinds (pairs under a revoked token id no longer count). */
  get size(): number {
    return this.#size
  }
}
