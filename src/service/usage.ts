import type { Logger } from 'pino'
import type { Store, UsageReport } from '../store/index.js'
import { isUsageTicket } from '../token/index.js'
import type { Service } from './context.js'

/**
 * Last-use times seen by the service, kept in memory and written in one transaction per flush, so
 * authenticating a request costs a Map write rather than a database write.
 *
 * @example
 * usage.record({ tokenId, at: new Date(), ip, userAgent })
 * await usage.flush() // on an interval and at shutdown
 */
export class UsageBuffer {
  readonly #store: Store
  readonly #logger: Logger | undefined
  #pending = new Map<string, UsageReport & { at: Date }>()
  #timer: NodeJS.Timeout | undefined

  constructor(store: Store, logger?: Logger) {
    this.#store = store
    this.#logger = logger
  }

  /** Remembers a use; only the newest per token is kept until the next flush. */
  record(report: UsageReport & { at: Date }): void {
    const prev = this.#pending.get(report.tokenId)
    if (prev === undefined || prev.at.getTime() <= report.at.getTime())
      this.#pending.set(report.tokenId, report)
  }

  /** Uses waiting to be written. */
  get size(): number {
    return this.#pending.size
  }

  /** Writes pending uses (last-used only moves forward); returns rows updated. */
  async flush(): Promise<number> {
    if (this.#pending.size === 0) return 0
    const reports = [...this.#pending.values()]
    this.#pending = new Map()
    return this.#store.keys.recordUsage(reports)
  }

  /** Flushes every `intervalMs` until {@link UsageBuffer.stop}. */
  start(intervalMs: number): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => {
      this.flush().catch((err: unknown) => this.#logger?.warn({ err }, 'usage flush failed'))
    }, intervalMs)
    this.#timer.unref()
  }

  /** Stops the interval and flushes what is pending. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    await this.flush()
  }
}

/** One last-use report from a verifier, parsed. */
export interface ReportedUse {
  readonly tokenId: string
  readonly at: Date
  readonly ip: string | null
  readonly userAgent: string | null
  /** The token's usage ticket (from `/v1/verify`, or computed by a local verifier). */
  readonly ticket?: string | undefined
}

/**
 * `POST /v1/usage`: applies verifiers' last-use reports. A report updates an active key of the
 * caller's own user, or any active key when it carries a current usage ticket of that key — knowing
 * a token id alone cannot fake last use, and neither a revoked key nor an old ticket keeps a key
 * looking used. A time in the future is taken as now. Returns how many rows moved.
 *
 * @example
 * const updated = await recordReportedUse(svc, auth.user.id, reports)
 */
export async function recordReportedUse(
  svc: Pick<Service, 'store' | 'ring' | 'clock'>,
  callerUserId: string,
  reports: readonly ReportedUse[],
): Promise<number> {
  const at = svc.clock.now()
  const now = at.getTime()
  const accepted: UsageReport[] = []
  for (const r of reports) {
    // only an active key takes reports: a revoked or expired one stays as it was last seen
    const key = await svc.store.keys.get(r.tokenId, at)
    if (key === undefined || key.status !== 'active') continue
    if (key.userId !== callerUserId && !isUsageTicket(svc.ring, key.kid, key.id, r.ticket, at)) continue
    accepted.push({
      tokenId: r.tokenId,
      at: new Date(Math.min(r.at.getTime(), now)),
      ip: r.ip,
      userAgent: r.userAgent,
    })
  }
  return accepted.length === 0 ? 0 : svc.store.keys.recordUsage(accepted)
}
