import { hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import * as z from 'zod'
import { type CaveatRegistry, type Dimension, effectiveScope } from '../../caveats/index.js'
import { CrumbError, ERROR_CODES, type ErrorCode } from '../errors.js'
import { compileCaveats } from '../token/caveat-checks.js'
import { caveatTexts, claimsOf, type TokenClaims } from '../token/claims.js'
import { decodeTokenList } from '../token/format.js'
import { decodeIdentifier } from '../token/identifier.js'
import type { RequestFacts } from '../token/verify.js'
import { readProblem } from '../wire/problem.js'
import { type MemoEntry, perRequestChecks, reuse, shareable, TokenMemo } from './memo.js'
import type { FeedUpdate, RevocationSync } from './revocation-sync.js'
import type { ServiceFetch, ServiceResponse } from './service-fetch.js'

/** Options of a remote verifier. */
export interface RemoteVerifierOptions {
  /** `…/v1/verify` on the token service. */
  readonly url: string
  readonly serviceToken: string
  /** The feed whose revocations drop cached results (and whose list is consulted on every hit). */
  readonly sync: RevocationSync
  readonly registry: CaveatRegistry
  /** Dimensions checked per route (`require`), not here. */
  readonly deferred: ReadonlySet<Dimension>
  readonly leewayMs: number
  /** This service's audience (canonical), sent as `request.aud`: the token service checks `aud` caveats against it. */
  readonly audience?: string | undefined
  /** How long a positive answer is reused, and how many are kept. */
  readonly cache: { readonly ttlMs: number; readonly max: number }
  readonly timeoutMs: number
  readonly fetch: ServiceFetch
}

/** A positive answer, kept under the hash of the token string. */
interface CacheEntry extends MemoEntry {
  /** Reused until then (ms since the epoch): the TTL, never past the token's expiry. */
  readonly until: number
}

const okSchema = z.object({
  valid: z.literal(true),
  claims: z.object({ usage_ticket: z.string().max(64).optional() }).optional(),
})

/** Most usage tickets remembered (one per token id seen). */
const MAX_TICKETS = 10_000

/** The cache key of a token: its SHA-256, so no bearer token outlives its request in this process. */
const cacheKey = (token: string): string => hash('sha256', token, 'base64url')

const isRouteDimension = (d: Dimension): d is 'org' | 'app' | 'op' => d === 'org' || d === 'app' || d === 'op'

function unavailable(cause: unknown): CrumbError {
  return new CrumbError('revocation_list_stale', 'token service unavailable for remote verification', {
    cause,
  })
}

/**
 * Remote verification: `POST /v1/verify` on the token service (no key in this process), with a
 * bounded cache of positive answers keyed by the SHA-256 of the token string. A hit is reused for
 * at most the TTL (and never past the token's expiry), after re-checking the token's time, device
 * and ip caveats against the current request, and is dropped the moment the feed reports a
 * revocation for its token id, or that its key id no longer verifies. Answers racing a revocation
 * are not cached.
 *
 * @example
 * const remote = new RemoteVerifier({ url: `${server}/v1/verify`, serviceToken, sync, registry,
 *   deferred: new Set(['org', 'app', 'op']), leewayMs: 30_000, cache: { ttlMs: 60_000, max: 10_000 },
 *   timeoutMs: 5_000, fetch })
 * const claims = await remote.verify(token, { ip: '10.1.2.3' })
 */
export class RemoteVerifier {
  readonly #o: RemoteVerifierOptions
  readonly #cache: TokenMemo<CacheEntry>
  /** Revocation sequence numbers per token id, kept while answers are in flight. */
  readonly #revokedAt = new Map<string, number>()
  #seq = 0
  #inFlight = 0
  /** Usage tickets by token id, the least recently used dropped first. */
  readonly #tickets = new LRUCache<string, string>({ max: MAX_TICKETS })
  readonly #unsubscribe: () => void

  constructor(options: RemoteVerifierOptions) {
    this.#o = options
    this.#cache = new TokenMemo<CacheEntry>(options.cache.ttlMs > 0 ? options.cache.max : 0)
    this.#unsubscribe = options.sync.subscribe((update) => this.#onFeed(update))
  }

  /** Cached answers held. */
  get size(): number {
    return this.#cache.size
  }

  /** Stops listening to the feed and forgets every answer. */
  close(): void {
    this.#unsubscribe()
    this.#cache.clear()
  }

  /**
   * Verifies a token for a request (its device and ip; org / app / op are left to `require`).
   * Throws a CrumbError: the token service's own code, or `revocation_list_stale` (503) when it
   * cannot be reached.
   */
  async verify(token: string, facts: RequestFacts, now: Date = new Date()): Promise<TokenClaims> {
    return this.cached(token, facts, now) ?? this.#verifyRemotely(token, facts, now)
  }

  /**
   * The answer for a token from the cache, without waiting: its claims for this request, or
   * undefined when nothing valid is cached (then `verify` asks the token service). Throws the
   * CrumbError of a per-request caveat (time, device, ip) that fails for this request.
   */
  cached(token: string, facts: RequestFacts, now: Date): TokenClaims | undefined {
    const key = cacheKey(token)
    const hit = this.#cache.get(key)
    if (hit === undefined) return undefined
    const kids = this.#o.sync.activeKids
    if (
      hit.until > now.getTime() &&
      !this.#o.sync.list.isTokenRevoked(hit.tokenId, now) &&
      (kids === undefined || kids.has(hit.claims.kid))
    ) {
      const reused = reuse(hit, facts, now, this.#o.leewayMs)
      if (reused instanceof CrumbError) throw reused
      return reused
    }
    this.#cache.delete(key, hit.tokenId)
    return undefined
  }

  async #verifyRemotely(token: string, facts: RequestFacts, now: Date): Promise<TokenClaims> {
    // Decode here first: garbage never reaches the token service, and the claims come from the
    // token itself (the service only vouches for signature, revocation and caveats).
    const [primary, ...discharges] = decodeTokenList(token)
    const id = decodeIdentifier(primary.identifierText)
    if (this.#o.sync.list.isTokenRevoked(id.tokenId, now))
      throw new CrumbError('token_revoked', 'token has been revoked')
    const texts = caveatTexts(primary)
    const indexed: [index: string, text: string][] = [
      ...texts.map((t, i): [string, string] => [String(i), t]),
      ...discharges.flatMap((d, di) => caveatTexts(d).map((t, i): [string, string] => [`${di + 1}.${i}`, t])),
    ]

    const started = this.#seq
    this.#inFlight++
    try {
      this.#rememberTicket(id.tokenId, await this.#ask(token, facts))
    } finally {
      this.#inFlight--
    }

    const { checks, parsed, unparsed } = compileCaveats(indexed, this.#o.registry, this.#o.deferred)
    // A caveat this process cannot parse (the service knows a kind it does not): fine for this
    // answer, but a hit could not re-check it.
    const cacheable = unparsed === undefined
    const scope = effectiveScope(parsed)
    const claims = claimsOf({ id, scope, device: facts.device, caveats: texts, signature: primary.signature })
    const revokedMeanwhile =
      Math.max(this.#revokedAt.get(id.tokenId) ?? -1, this.#revokedAt.get('*') ?? -1) > started
    if (this.#inFlight === 0) this.#revokedAt.clear()
    if (cacheable && !revokedMeanwhile) {
      const expiry = scope.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY
      this.#cache.set(cacheKey(token), {
        tokenId: id.tokenId,
        until: Math.min(now.getTime() + this.#o.cache.ttlMs, expiry),
        claims: shareable(claims),
        // The token service judged `aud` against this verifier's fixed audience.
        checks: perRequestChecks(checks),
      })
    }
    return claims
  }

  /**
   * The usage ticket the token service gave for a token id (sent with usage reports), if any.
   *
   * @example
   * remote.ticketFor(claims.tokenId)
   */
  ticketFor(tokenId: string): string | undefined {
    return this.#tickets.get(tokenId)
  }

  #rememberTicket(tokenId: string, ticket: string | undefined): void {
    if (ticket !== undefined && this.#tickets.get(tokenId) !== ticket) this.#tickets.set(tokenId, ticket)
  }

  async #ask(token: string, facts: RequestFacts): Promise<string | undefined> {
    const request: Record<string, string> = {}
    if (facts.device !== undefined) request.device = facts.device
    if (facts.ip !== undefined) request.ip = facts.ip
    if (this.#o.audience !== undefined) request.aud = this.#o.audience
    let res: ServiceResponse
    try {
      res = await this.#o.fetch(this.#o.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.#o.serviceToken}`,
          'content-type': 'application/json',
          accept: 'application/json, application/problem+json',
        },
        // org / app / op are judged per route from the scope (`require`), as in local mode.
        body: JSON.stringify({ token, request, deferred: [...this.#o.deferred].filter(isRouteDimension) }),
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      })
    } catch (error) {
      throw unavailable(error)
    }
    let body: unknown
    try {
      body = await res.json()
    } catch (error) {
      throw unavailable(error)
    }
    const ok = res.status === 200 ? okSchema.safeParse(body) : undefined
    if (ok?.success) return ok.data.claims?.usage_ticket
    if (res.status === 401 || res.status === 403) {
      const problem = readProblem(body)
      const fallback: ErrorCode = res.status === 401 ? 'invalid_token' : 'caveat_failed'
      const given = problem.code ?? fallback
      const code =
        given in ERROR_CODES && ERROR_CODES[given as ErrorCode] === res.status
          ? (given as ErrorCode)
          : fallback
      const caveat = problem.caveat
      throw new CrumbError(code, problem.code === undefined ? code : (problem.detail ?? code), {
        ...(caveat === undefined ? {} : { caveatIndex: caveat.index, caveat: caveat.text }),
      })
    }
    throw unavailable(new Error(`verify answered ${res.status}`))
  }

  #onFeed(update: FeedUpdate): void {
    this.#seq++
    this.#cache.onFeed(update)
    if (this.#inFlight > 0) for (const tokenId of update.tokenIds) this.#revokedAt.set(tokenId, this.#seq)
    if ((update.replaced || update.activeKids !== undefined) && this.#inFlight > 0) {
      // Everything in flight predates the new snapshot (or key ring): none of it may be cached.
      this.#revokedAt.set('*', this.#seq)
    }
  }
}
