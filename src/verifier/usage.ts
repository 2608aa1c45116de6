import { LRUCache } from 'lru-cache'
import { MAX_REPORTED_USER_AGENT, type UsageReport } from '../wire/usage-report.js'
import type { VerifierLogger } from './options.js'
import { type ServiceFetch, serviceFetch } from './service-fetch.js'

export type { UsageReport }

/** Options of a usage reporter. */
export interface UsageReporterOptions {
  /** `…/v1/usage` on the token service. */
  readonly url: string
  readonly serviceToken: string
  /** How often pending reports are sent. Default 2000 ms. */
  readonly intervalMs?: number
  /**
   * How stale "last used" may be, in ms: a use within this long of one already pending is not
   * recorded again (see `isRecent`). Default 0: every use counts.
   */
  readonly resolutionMs?: number
  /** Most token ids held while the service is unreachable; the least recently used are dropped first. Default 10000. */
  readonly maxPending?: number
  /** Most reports in one POST. Default 500. */
  readonly batchSize?: number
  readonly timeoutMs?: number
  readonly fetch?: ServiceFetch
  readonly logger?: VerifierLogger
  /** The usage ticket of a token id (local mode computes it from the key ring; remote mode got it from /v1/verify). */
  readonly ticketFor?: (tokenId: string, kid: string) => string | undefined
}

interface Use {
  at: number
  ip: string | undefined
  userAgent: string | undefined
  kid?: string | undefined
}

/**
 * Last use per token id (time, IP, user agent), coalesced in memory and sent in batches to
 * `POST /v1/usage` every few seconds, so "last used" stays true although verification happens in
 * the services. `record` is O(1) and never waits on the network; memory is bounded by `maxPending`
 * token ids; a failed batch is merged back (newer uses win) and retried at the next tick.
 *
 * @example
 * const usage = new UsageReporter({ url: `${server}/v1/usage`, serviceToken })
 * usage.record(claims.tokenId, req.ip, req.get('user-agent'))
 * await usage.close() // flushes what is pending
 */
export class UsageReporter {
  readonly #o: UsageReporterOptions
  readonly #fetch: ServiceFetch
  /** Pending uses by token id; when `maxPending` is reached the least recently used is dropped. */
  readonly #pending: LRUCache<string, Use>
  readonly #timer: NodeJS.Timeout
  #flushing: Promise<void> | undefined
  #closed = false
  #failures = 0
  #dropped = 0

  constructor(options: UsageReporterOptions) {
    this.#o = options
    this.#fetch = options.fetch ?? serviceFetch
    this.#pending = new LRUCache({
      max: Math.max(1, options.maxPending ?? 10_000),
      dispose: (_use, _tokenId, reason) => {
        if (reason === 'evict') this.#dropped++
      },
    })
    this.#timer = setInterval(() => void this.flush(), options.intervalMs ?? 2_000)
    this.#timer.unref()
  }

  /** Token ids waiting to be reported. */
  get pending(): number {
    return this.#pending.size
  }

  /** Uses dropped because `maxPending` was reached. */
  get dropped(): number {
    return this.#dropped
  }

  /**
   * Whether a use of `tokenId` at most `resolutionMs` before `at` is already pending, so a use at
   * `at` need not be recorded. A busy service then records each token about once per resolution
   * rather than on every request, and skips working out the client address for the others.
   */
  isRecent(tokenId: string, at: number): boolean {
    const existing = this.#pending.get(tokenId)
    return existing !== undefined && at >= existing.at && at - existing.at < (this.#o.resolutionMs ?? 0)
  }

  /** Notes a use (coalesced: only the latest per token id is kept). */
  record(
    tokenId: string,
    ip: string | undefined,
    userAgent: string | undefined,
    at: number = Date.now(),
    kid?: string,
  ): void {
    if (this.#closed) return
    const existing = this.#pending.get(tokenId)
    if (existing !== undefined) {
      if (at >= existing.at) {
        existing.at = at
        existing.ip = ip
        existing.userAgent = userAgent
      }
      return
    }
    this.#merge(tokenId, { at, ip, userAgent, kid })
  }

  #merge(tokenId: string, use: Use): void {
    const existing = this.#pending.get(tokenId)
    if (existing !== undefined) {
      if (existing.at < use.at) Object.assign(existing, use)
      return
    }
    this.#pending.set(tokenId, use)
  }

  /** Sends one batch now (at most one flush runs at a time). */
  flush(): Promise<void> {
    this.#flushing ??= this.#send().finally(() => {
      this.#flushing = undefined
    })
    return this.#flushing
  }

  async #send(): Promise<void> {
    if (this.#pending.size === 0) return
    const batch: [string, Use][] = []
    // least recently used first: the uses most at risk of being dropped go out first
    for (const tokenId of this.#pending.rkeys()) {
      const use = this.#pending.peek(tokenId)
      if (use !== undefined) batch.push([tokenId, use])
      if (batch.length >= (this.#o.batchSize ?? 500)) break
    }
    for (const [tokenId] of batch) this.#pending.delete(tokenId)
    const reports: UsageReport[] = batch.map(([tokenId, use]) => {
      // Tickets are computed here, once per batch, not on the request path.
      const ticket = use.kid === undefined ? undefined : this.#o.ticketFor?.(tokenId, use.kid)
      return {
        token_id: tokenId,
        at: new Date(use.at).toISOString(),
        ip: use.ip ?? null,
        user_agent: use.userAgent?.slice(0, MAX_REPORTED_USER_AGENT) ?? null,
        ...(ticket === undefined ? {} : { ticket }),
      }
    })
    try {
      const res = await this.#fetch(this.#o.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#o.serviceToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reports }),
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 5_000),
      })
      await res.body?.cancel()
      if (res.status >= 500 || res.status === 429) throw new Error(`usage answered ${res.status}`)
      if (!res.ok) {
        // The service refused the batch itself (4xx): retrying it would fail the same way.
        this.#o.logger?.warn('usage report refused', { status: res.status, reports: reports.length })
      }
      this.#failures = 0
    } catch (error) {
      for (const [tokenId, use] of batch) this.#merge(tokenId, use)
      this.#failures++
      if (this.#failures === 1 || this.#failures % 30 === 0) {
        this.#o.logger?.warn('usage report failed; will retry', {
          failures: this.#failures,
          error: (error as Error).message,
        })
      }
    }
  }

  /** Stops the timer and sends everything pending (stops early if the service is unreachable). */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    this.#closed = true
    await this.#flushing
    while (this.#pending.size > 0) {
      const before = this.#failures
      await this.flush()
      if (this.#failures > before) break
    }
  }
}
