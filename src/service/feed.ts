import type { Logger } from 'pino'
import type { FeedRead, Store } from '../store/index.js'
import { RevocationList } from '../token/index.js'
import type { Clock } from './clock.js'

/** Longest long-poll the feed holds open, in seconds. */
export const FEED_MAX_WAIT_S = 30

/**
 * The revocation feed and the in-memory revocation list the service verifies its own API against.
 * The store tells it when entries may have been committed (`watchRevocations`, this process or
 * another); it then loads them into the list and answers the long-polls waiting for them.
 *
 * @example
 * const feed = new RevocationFeed(store, clock, logger)
 * const page = await feed.poll(cursor, 30_000) // waits for an entry after `cursor`
 */
export class RevocationFeed {
  /** What `verifyToken` checks on the service's own API. */
  readonly list = new RevocationList()
  readonly #store: Store
  readonly #clock: Clock
  readonly #logger: Logger | undefined
  readonly #waiters = new Set<() => void>()
  readonly #unwatch: () => void
  #cursor: string | undefined
  #syncing: Promise<number> | undefined
  #again = false
  #closed = false
  /** Bumped by every change notice: a read started after it sees what the notice announced. */
  #generation = 0
  /** Reads in flight, by generation and cursor: long-polls woken together share one. */
  readonly #reads = new Map<string, Promise<FeedRead>>()

  constructor(store: Store, clock: Clock, logger?: Logger) {
    this.#store = store
    this.#clock = clock
    this.#logger = logger
    this.#unwatch = store.watchRevocations(() => this.#changed())
    this.#changed()
  }

  /** Long-polls currently waiting. */
  get waiting(): number {
    return this.#waiters.size
  }

  #changed(): void {
    this.#generation++
    this.sync().catch((err: unknown) => this.#logger?.warn({ err }, 'revocation feed sync failed'))
    for (const w of [...this.#waiters]) w()
  }

  /**
   * Loads entries committed since the last sync into the list. Cheap when nothing changed (one
   * indexed read). Concurrent calls share one read, and a call during a read runs another after
   * it, so a commit is never left out. Returns how many entries were loaded.
   */
  sync(): Promise<number> {
    if (this.#closed) return Promise.resolve(0)
    if (this.#syncing !== undefined) {
      this.#again = true
      return this.#syncing
    }
    const run = async (): Promise<number> => {
      let loaded = 0
      try {
        do {
          this.#again = false
          for (;;) {
            const page = await this.#store.revocations.read(this.#cursor)
            for (const e of page.entries) {
              this.list.add({
                tokenId: e.tokenId,
                ...(e.revocationId === undefined ? {} : { revocationId: e.revocationId }),
                expiresAt: new Date(e.expiresAt),
              })
            }
            loaded += page.entries.length
            const moved = page.cursor !== this.#cursor
            this.#cursor = page.cursor
            if (!moved || page.entries.length === 0) break
          }
        } while (this.#again)
      } finally {
        this.#syncing = undefined
      }
      return loaded
    }
    this.#syncing = run()
    return this.#syncing
  }

  /**
   * One page after `since` (undefined: a full snapshot). With `waitMs` > 0 and a cursor given, an
   * empty page waits until an entry arrives, `waitMs` passes, `signal` aborts or the feed closes.
   *
   * @example
   * const page = await feed.poll('42', 30_000, abort.signal)
   */
  async poll(since: string | undefined, waitMs = 0, signal?: AbortSignal): Promise<FeedRead> {
    let generation = this.#generation
    const first = await this.#read(since)
    if (since === undefined || first.entries.length > 0 || first.reset !== undefined || waitMs <= 0)
      return first
    const deadline = Date.now() + waitMs
    let page = first
    while (!this.#closed && !signal?.aborted && Date.now() < deadline) {
      // a notice that came while the last read ran may be news that read missed: read again at once
      if (generation === this.#generation) await this.#wait(deadline - Date.now(), signal)
      if (this.#closed || signal?.aborted) break
      generation = this.#generation
      page = await this.#read(first.cursor)
      if (page.entries.length > 0 || page.reset !== undefined) return page
    }
    return page
  }

  /**
   * One page after `cursor`, shared with every caller asking for the same cursor since the same
   * change notice: a revocation wakes every long-poll at once, and those holding one cursor (most
   * verifiers) cost the store one read instead of one each.
   */
  #read(cursor: string | undefined): Promise<FeedRead> {
    const key = `${this.#generation}\n${cursor ?? ''}`
    let read = this.#reads.get(key)
    if (read === undefined) {
      read = this.#store.revocations.read(cursor).finally(() => this.#reads.delete(key))
      this.#reads.set(key, read)
    }
    return read
  }

  #wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        this.#waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
      this.#waiters.add(done)
    })
  }

  /**
   * Drops entries whose root token expired before `now - marginMs` from the store and the list
   * (the margin covers verifiers' clock-skew leeway). Returns how many entries were deleted.
   */
  async prune(marginMs: number): Promise<number> {
    const cutoff = new Date(this.#clock.now().getTime() - marginMs)
    const removed = await this.#store.revocations.prune(cutoff)
    this.list.prune(cutoff)
    return removed
  }

  /** Answers every open long-poll now and stops watching (for shutdown). */
  close(): void {
    this.#closed = true
    this.#unwatch()
    for (const w of [...this.#waiters]) w()
  }
}
