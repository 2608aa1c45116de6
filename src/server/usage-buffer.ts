import type { Logger } from 'pino'
import type { Store, UsageReport } from '../store/index.js'

/**
 * Last-use times seen by the service, kept in memory and written in one transaction per flush, so
 * authenticating a request costs a Map write rather than a database write.
 *
 * @example
 * usage.record({ tokenId, at: new Date(), ip: req.ip, userAgent })
 * usage.flush() // on an interval and at shutdown
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
  flush(): number {
    if (this.#pending.size === 0 || !this.#store.db.open) return 0
    const reports = [...this.#pending.values()]
    this.#pending = new Map()
    return this.#store.keys.recordUsage(reports)
  }

  /** Flushes every `intervalMs` until {@link UsageBuffer.stop}. */
  start(intervalMs: number): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => {
      try {
        this.flush()
      } catch (err) {
        this.#logger?.warn({ err }, 'usage flush failed')
      }
    }, intervalMs)
    this.#timer.unref()
  }

  /** Stops the interval and flushes what is pending. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.flush()
  }
}
