import type pg from 'pg'
import { prepared, type Queryable } from './queryable.js'

// what node-pg keeps of its socket; the type does not declare the stream
type Corkable = { connection: { stream: { cork(): void; uncork(): void } } }

const ENDED = 'this transaction has ended'

/**
 * The statements of one transaction on one connection, sent without waiting for each other
 * (node-pg's pipeline mode: the pool is created with `pipeline: true`). PostgreSQL still runs them
 * one after another, in the order they were sent, so a statement sees everything sent before it.
 *
 * - {@link query} resolves with its result; the caller waits for that one round trip.
 * - {@link write} (and `BEGIN`, `COMMIT`) resolve as soon as the statement is sent: a write whose
 *   result nobody reads costs no round trip of its own. Its failure fails the transaction: every
 *   later statement is refused by PostgreSQL, and {@link commit} and {@link failure} report the
 *   write's own error rather than the refusals it caused.
 * - `BEGIN` goes with the transaction's first statement, `COMMIT` with its last writes.
 * - Everything sent in one turn of the event loop leaves in one socket write (the stream is corked
 *   until the next tick): measured (#17) 8.5 → 5.4 write syscalls per key creation.
 *
 * @example
 * const p = new StatementPipeline(client)
 * p.begin()
 * p.queryable.write('INSERT INTO audit_events …', values)   // no wait
 * const { rows } = await p.queryable.query('SELECT …', values)  // one round trip for both
 * await p.commit()
 */
export class StatementPipeline {
  readonly queryable: Queryable
  readonly #client: pg.PoolClient
  readonly #unread: Promise<unknown>[] = []
  #failure: { error: unknown } | undefined
  #corked = false
  #ended = false

  constructor(client: pg.PoolClient) {
    this.#client = client
    this.queryable = {
      query: ((text: string, values?: unknown[]) => this.#send(prepared(text, values))) as Queryable['query'],
      write: (text, values) => {
        if (this.#ended) return Promise.reject(new Error(ENDED))
        this.#sendUnread(prepared(text, values))
        return Promise.resolve()
      },
    }
  }

  /**
   * The first failure of a statement whose result nobody read, if one failed: the transaction
   * cannot commit, and what the caller saw afterwards (PostgreSQL refusing every later statement)
   * is its consequence, not its cause.
   */
  get failure(): { error: unknown } | undefined {
    return this.#failure
  }

  /** Sends `BEGIN`; the statements that follow go with it. */
  begin(): void {
    this.#sendUnread('BEGIN')
  }

  /**
   * Sends `COMMIT` (with any writes still unsent) and waits until every statement has run. Throws
   * the first failure: PostgreSQL answers `COMMIT` in a failed transaction by rolling back, not
   * with an error.
   */
  async commit(): Promise<void> {
    const committed = this.#send('COMMIT')
    await Promise.allSettled(this.#unread)
    if (this.#failure !== undefined) {
      committed.catch(() => {})
      throw this.#failure.error
    }
    await committed
  }

  /** No statement may be sent once the connection is back in the pool (maybe in another transaction). */
  end(): void {
    this.#ended = true
  }

  #sendUnread(config: pg.QueryConfig | string): void {
    // PostgreSQL answers in order, so the first failure recorded is the cause of those after it
    this.#unread.push(
      this.#send(config).catch((error: unknown) => {
        this.#failure ??= { error }
      }),
    )
  }

  #send<R extends pg.QueryResultRow>(config: pg.QueryConfig | string): Promise<pg.QueryResult<R>> {
    if (this.#ended) return Promise.reject(new Error(ENDED))
    this.#corkUntilNextTick()
    return this.#client.query<R>(config)
  }

  #corkUntilNextTick(): void {
    if (this.#corked) return
    this.#corked = true
    const stream = (this.#client as unknown as Corkable).connection.stream
    stream.cork()
    process.nextTick(() => {
      this.#corked = false
      stream.uncork()
    })
  }
}
