import type { Store } from '../store/index.js'

interface Job {
  readonly fn: () => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

/**
 * Group commit. Writes are synchronous (better-sqlite3) and every commit waits for an fsync
 * (`synchronous = FULL`): committed one request at a time, the fsync caps throughput and stalls the
 * event loop. Queued writes run together on the next turn of the loop, each in its own savepoint
 * inside one transaction, and share one commit. A job that throws rolls back only its savepoint;
 * every promise settles after the commit, so nothing is acknowledged before it is on disk.
 *
 * @example
 * const key = await writes.run(() => mintKey(ctx, options)) // resolves once committed
 */
export class WriteQueue {
  readonly #store: Store
  readonly #afterCommit: (() => void) | undefined
  #queue: Job[] = []
  #scheduled = false

  constructor(store: Store, afterCommit?: () => void) {
    this.#store = store
    this.#afterCommit = afterCommit
  }

  /** Jobs waiting for the next commit. */
  get pending(): number {
    return this.#queue.length
  }

  /** Runs `fn` (synchronous) in the next group commit; resolves with its result once durable. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Commits what is queued now (also called on the next turn of the event loop). */
  flush(): void {
    this.#scheduled = false
    const batch = this.#queue
    this.#queue = []
    if (batch.length === 0) return
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = []
    try {
      this.#store.transaction(() => {
        for (const job of batch) {
          try {
            // a nested transaction is a savepoint: a failing job undoes only its own writes
            results.push({ ok: true, value: this.#store.transaction(job.fn) })
          } catch (error) {
            results.push({ ok: false, error })
          }
        }
      })
    } catch (error) {
      for (const job of batch) job.reject(error)
      return
    }
    this.#afterCommit?.()
    batch.forEach((job, i) => {
      const r = results[i]
      if (r?.ok) job.resolve(r.value)
      else job.reject(r?.error)
    })
  }
}
