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

/**
 * A bounded map of verified tokens (the local memo, the remote cache), indexed by token id so a
 * revocation drops every entry of the token at once. When full, the oldest entry goes.
 *
 * @example
 * const memo = new TokenMemo<MemoEntry>(10_000)
 * memo.set(token, { tokenId, claims: shareable(claims), checks })
 * sync.subscribe((update) => memo.onFeed(update))
 */
export class TokenMemo<E extends MemoEntry> {
  readonly #max: number
  readonly #entries = new Map<string, E>()
  readonly #byToken = new Map<string, Set<string>>()

  /** `max` entries at most; 0 keeps none. */
  constructor(max: number) {
    this.#max = max
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: string): E | undefined {
    return this.#entries.get(key)
  }

  set(key: string, entry: E): void {
    if (this.#max <= 0) return
    const previous = this.#entries.get(key)
    if (previous !== undefined) this.delete(key, previous.tokenId)
    else if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.entries().next()
      if (oldest.done !== true) this.delete(oldest.value[0], oldest.value[1].tokenId)
    }
    this.#entries.set(key, entry)
    let keys = this.#byToken.get(entry.tokenId)
    if (keys === undefined) {
      keys = new Set()
      this.#byToken.set(entry.tokenId, keys)
    }
    keys.add(key)
  }

  delete(key: string, tokenId: string): void {
    this.#entries.delete(key)
    const keys = this.#byToken.get(tokenId)
    keys?.delete(key)
    if (keys?.size === 0) this.#byToken.delete(tokenId)
  }

  /** Drops what a feed update makes suspect: everything on a replaced list, else the token ids named. */
  onFeed(update: FeedUpdate): void {
    if (update.replaced) {
      this.clear()
      return
    }
    for (const tokenId of update.tokenIds) {
      for (const key of this.#byToken.get(tokenId) ?? []) this.#entries.delete(key)
      this.#byToken.delete(tokenId)
    }
  }

  clear(): void {
    this.#entries.clear()
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
