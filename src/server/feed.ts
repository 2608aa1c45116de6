import type { Logger } from 'pino'
import type { Store, RevocationEntry as StoredEntry } from '../store/index.js'
import { RevocationList } from '../token/index.js'
import type { Clock } from './clock.js'

/** Longest long-poll the feed holds open, in seconds. */
export const FEED_MAX_WAIT_S = 30
/** Entries per feed page. */
export const FEED_PAGE = 1000

/** One page of the feed as the route answers it. */
export interface FeedPage {
  /** Pass as `since` next time. */
  readonly cursor: string
  readonly entries: readonly StoredEntry[]
  /** True when the caller's cursor could not be continued: `entries` is a full snapshot. */
  readonly reset?: true
}

interface Waiter {
  readonly since: number
  readonly resolve: () => void
}

/**
 * The revocation feed and the in-memory revocation list the service verifies against, kept in
 * sync with the `revocations` table. Writers commit, then call {@link RevocationFeed.sync}, which
 * loads the new rows and wakes every long-poll waiting for them.
 *
 * @example
 * store.transaction(() => store.revocations.add({ tokenId, expiresAt }))
 * feed.sync() // open long-polls answer now
 */
export class RevocationFeed {
  /** What `verifyToken` checks on the service's own API. */
  readonly list = new RevocationList()
  readonly #store: Store
  readonly #clock: Clock
  readonly #logger: Logger | undefined
  readonly #waiters = new Set<Waiter>()
  #cursor = 0
  #closed = false
  #poll: NodeJS.Timeout | undefined

  constructor(store: Store, clock: Clock, logger?: Logger) {
    this.#store = store
    this.#clock = clock
    this.#logger = logger
    this.sync()
  }

  /** The highest seq loaded into the in-memory list. */
  get cursor(): number {
    return this.#cursor
  }

  /** Long-polls currently waiting. */
  get waiting(): number {
    return this.#waiters.size
  }

  /**
   * Loads entries committed since the last sync (by this process or another) into the list and
   * wakes long-polls. Cheap when nothing changed (one indexed read). Returns how many were loaded.
   */
  sync(): number {
    if (this.#closed || !this.#store.db.open) return 0
    const latest = this.#store.revocations.latestSeq()
    if (latest <= this.#cursor) return 0
    let loaded = 0
    for (;;) {
      const page = this.#store.revocations.since(this.#cursor, FEED_PAGE)
      for (const e of page) {
        this.list.add({
          tokenId: e.tokenId,
          ...(e.revocationId === undefined ? {} : { revocationId: e.revocationId }),
          expiresAt: new Date(e.expiresAt),
        })
        this.#cursor = e.seq
      }
      loaded += page.length
      if (page.length < FEED_PAGE) break
    }
    // pruned rows leave gaps; the sequence itself is the truth
    this.#cursor = Math.max(this.#cursor, latest)
    this.#wake()
    return loaded
  }

  #wake(): void {
    for (const w of this.#waiters) {
      if (this.#cursor > w.since) w.resolve()
    }
  }

  /**
   * One page after `since` (absent or 0: a full snapshot). A cursor from another database or
   * older than pruned entries gets `reset: true` and a snapshot.
   */
  read(since: number | undefined): FeedPage {
    const revocations = this.#store.revocations
    const latest = revocations.latestSeq()
    // 0 means "from the beginning": everything still in the table, like a snapshot, but a long-poll
    // on it waits when the table is empty
    if (since === undefined || since === 0) return { cursor: String(latest), entries: revocations.all() }
    if (since > latest) return { cursor: String(latest), entries: revocations.all(), reset: true }
    const page = revocations.since(since, FEED_PAGE)
    const last = page.at(-1)
    // seqs are dense except where pruning removed rows: a gap after the cursor means the caller
    // missed entries that are gone now
    const span = page.length < FEED_PAGE ? latest - since : (last?.seq ?? since) - since
    if (span > page.length) return { cursor: String(latest), entries: revocations.all(), reset: true }
    return { cursor: String(last?.seq ?? since), entries: page }
  }

  /**
   * Resolves as soon as an entry after `since` exists, after `waitMs`, when `signal` aborts, or
   * when the feed closes — whichever is first.
   */
  waitFor(since: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    this.sync()
    if (this.#closed || this.#cursor > since || waitMs <= 0 || signal?.aborted) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        this.#waiters.delete(waiter)
        if (this.#waiters.size === 0) this.#stopPolling()
        resolve()
      }
      const waiter: Waiter = { since, resolve: done }
      const timer = setTimeout(done, waitMs)
      signal?.addEventListener('abort', done, { once: true })
      this.#waiters.add(waiter)
      this.#startPolling()
    })
  }

  // While someone waits, look at the table once a second too, so writes by another process
  // sharing the database are delivered.
  #startPolling(): void {
    if (this.#poll !== undefined) return
    this.#poll = setInterval(() => {
      try {
        this.sync()
      } catch (err) {
        this.#logger?.warn({ err }, 'revocation feed sync failed')
      }
    }, 1000)
    this.#poll.unref()
  }

  #stopPolling(): void {
    if (this.#poll !== undefined) clearInterval(this.#poll)
    this.#poll = undefined
  }

  /**
   * Drops entries whose root token expired before `now - marginMs` from the table and the list
   * (the margin covers verifiers' clock-skew leeway). Returns how many rows were deleted.
   */
  prune(marginMs: number): number {
    const cutoff = new Date(this.#clock.now().getTime() - marginMs)
    const removed = this.#store.revocations.prune(cutoff)
    this.list.prune(cutoff)
    return removed
  }

  /** Answers every open long-poll now and refuses new waits (for shutdown). */
  close(): void {
    this.#closed = true
    for (const w of [...this.#waiters]) w.resolve()
    this.#stopPolling()
  }
}
