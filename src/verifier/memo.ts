import { LRUCache } from 'lru-cache'
import type { RequestContext } from '../../caveats/index.js'
import type { CrumbError } from '../errors.js'
import { type Check, failedCheck } from '../token/caveat-checks.js'
import type { TokenClaims } from '../token/claims.js'
import type { RequestFacts } from '../token/verify.js'
import type { FeedUpdate } from './revocation-sync.js'

/** What an earlier verification of one token established, reused while it holds. */
export interface MemoEntry {
  readonly tokenId: string
  /** Claims without the request's device, frozen: every request that reuses them shares them. */
  readonly claims: TokenClaims
  /** The caveats re-checked on every reuse against that request (time, device, ip…). */
  readonly checks: readonly Check[]
}

/** Default budget of one memo, whatever the tokens' size (#15 item 2). */
export const MEMO_MAX_BYTES = 4 * 1024 * 1024
/** An entry that would cost more is not kept: its token is verified in full every time. */
export const MEMO_MAX_ENTRY_BYTES = 16 * 1024

/**
 * What an entry holds, over-estimated: its key, the caveat texts of its claims, ~256 bytes per
 * compiled check (parsed value, objects, array slot), `held` bytes the caller keeps beside it
 * (the token string), and the objects around them.
 */
export function memoEntryBytes(key: string, entry: MemoEntry, held = 0): number {
  let bytes = 1024 + key.length + held + 256 * entry.checks.length
  for (const text of entry.claims.caveats) bytes += 48 + text.length
  return bytes
}

/**
 * A bounded map of verified tokens (the local memo, the remote cache), indexed by token id so a
 * revocation drops every entry of the token at once. Bounded by count and in bytes: an entry larger
 * than `MEMO_MAX_ENTRY_BYTES` is never kept, and the least recently used go first past `maxBytes`,
 * so what distinct tokens make a service hold stays small whatever they carry.
 *
 * @example
 * const memo = new TokenMemo<MemoEntry>(10_000)
 * memo.set(token, { tokenId, claims: shareable(claims), checks })
 * sync.subscribe((update) => memo.onFeed(update))
 */
export class TokenMemo<E extends MemoEntry> {
  readonly #entries: LRUCache<string, E, number> | undefined
  readonly #byToken = new Map<string, Set<string>>()

  /** `max` entries and `maxBytes` at most; `max` 0 keeps none. */
  constructor(max: number, maxBytes = MEMO_MAX_BYTES) {
    this.#entries =
      max > 0
        ? new LRUCache<string, E, number>({
            max,
            maxSize: maxBytes,
            maxEntrySize: Math.min(maxBytes, MEMO_MAX_ENTRY_BYTES),
            // An entry leaving for any reason (evicted, replaced, deleted) leaves the index too.
            dispose: (entry, key) => this.#unindex(key, entry.tokenId),
          })
        : undefined
  }

  get size(): number {
    return this.#entries?.size ?? 0
  }

  /** Bytes the memo accounts for now (at most its `maxBytes`). */
  get bytes(): number {
    return this.#entries?.calculatedSize ?? 0
  }

  get(key: string): E | undefined {
    return this.#entries?.get(key)
  }

  /** Keeps `entry` under `key`; `held` counts what the entry keeps that `memoEntryBytes` cannot see. */
  set(key: string, entry: E, held = 0): void {
    if (this.#entries === undefined) return
    const size = memoEntryBytes(key, entry, held)
    this.#entries.set(key, entry, { size })
    if (this.#entries.peek(key) !== entry) return // too large to keep
    let keys = this.#byToken.get(entry.tokenId)
    if (keys === undefined) {
      keys = new Set()
      this.#byToken.set(entry.tokenId, keys)
    }
    keys.add(key)
  }

  /** Forgets `key` (the token id is found from the entry; the argument stays for existing callers). */
  delete(key: string, _tokenId?: string): void {
    this.#entries?.delete(key)
  }

  #unindex(key: string, tokenId: string): void {
    const keys = this.#byToken.get(tokenId)
    keys?.delete(key)
    if (keys?.size === 0) this.#byToken.delete(tokenId)
  }

  /**
   * Drops what a feed update makes suspect: everything on a replaced list, else the token ids named
   * and, when a key id stopped verifying, every entry under a kid not among the active ones.
   */
  onFeed(update: FeedUpdate): void {
    if (update.replaced) {
      this.clear()
      return
    }
    const active = update.activeKids
    if (active !== undefined && this.#entries !== undefined) {
      // rare (a key ring change): one pass over the entries
      const stale: string[] = []
      for (const [key, entry] of this.#entries.entries()) if (!active.has(entry.claims.kid)) stale.push(key)
      for (const key of stale) this.#entries.delete(key)
    }
    for (const tokenId of update.tokenIds) {
      for (const key of [...(this.#byToken.get(tokenId) ?? [])]) this.#entries?.delete(key)
    }
  }

  clear(): void {
    this.#entries?.clear()
    this.#byToken.clear()
  }
}

const frozen = <T>(xs: readonly T[] | null): readonly T[] | null =>
  xs === null ? null : Object.freeze([...xs])

/**
 * A frozen copy of claims without a device, safe to share between requests: a handler that
 * mutates `req.crumb` (or its arrays) cannot change what later requests with the token see.
 *
 * @example
 * memo.set(token, { tokenId: claims.tokenId, claims: shareable(claims), checks })
 */
export function shareable(claims: TokenClaims): TokenClaims {
  return Object.freeze({
    userId: claims.userId,
    tokenId: claims.tokenId,
    kid: claims.kid,
    device: undefined,
    ops: frozen(claims.ops),
    orgs: frozen(claims.orgs),
    apps: frozen(claims.apps),
    devices: frozen(claims.devices),
    expiresAt: claims.expiresAt,
    notBefore: claims.notBefore,
    caveats: Object.freeze([...claims.caveats]),
    revocationId: claims.revocationId,
  })
}

/**
 * The checks a remembered verification must re-run per request: all but `aud`, whose verdict
 * depends only on the verifier's own audience, fixed for the memo's lifetime. Allocates only when
 * there is an `aud` caveat to drop.
 *
 * @example
 * memo.set(key, { tokenId, claims: shareable(claims), checks: perRequestChecks(checks) })
 */
export function perRequestChecks(checks: readonly Check[]): readonly Check[] {
  for (const check of checks) {
    if (check.caveat.kind.dimension === 'aud') return checks.filter((c) => c.caveat.kind.dimension !== 'aud')
  }
  return checks
}

/** Whether any check needs the client address (an `ip` caveat): only then is `facts.ip` read. */
function needsIp(checks: readonly Check[]): boolean {
  for (const check of checks) if (check.caveat.kind.dimension === 'ip') return true
  return false
}

/**
 * Re-checks an entry against this request: its claims (with the request's device) when every
 * per-request caveat holds, else the CrumbError full verification would raise for the first failure.
 *
 * @example
 * const reused = reuse(entry, { ip: '10.1.2.3' }, new Date(), 30_000)
 * if (reused instanceof CrumbError) throw reused
 */
export function reuse(
  entry: MemoEntry,
  facts: RequestFacts,
  now: Date,
  leewayMs: number,
): TokenClaims | CrumbError {
  if (entry.checks.length > 0) {
    // Built by assignment, not a spread: this runs on every request that reuses a verification.
    const ctx: RequestContext = { now, leewayMs }
    if (facts.device !== undefined) ctx.device = facts.device
    // facts.ip may be computed on read (the middleware's is): read it only when a caveat needs it.
    if (needsIp(entry.checks)) {
      const ip = facts.ip
      if (ip !== undefined) ctx.ip = ip
    }
    if (facts.org !== undefined) ctx.org = facts.org
    if (facts.app !== undefined) ctx.app = facts.app
    if (facts.op !== undefined) ctx.op = facts.op
    const failure = failedCheck(entry.checks, ctx)
    if (failure !== undefined) return failure
  }
  return facts.device === undefined ? entry.claims : { ...entry.claims, device: facts.device }
}
