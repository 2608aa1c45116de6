import pg from 'pg'

/** Timeouts and size of a {@link createPool} pool; every field has a default. */
export interface PoolOptions {
  /** Most connections this instance opens. Default 10. */
  max?: number
  /** A query running longer than this is cancelled by the server (`statement_timeout`). Default 5000 ms. */
  statementTimeoutMs?: number
  /** Waiting for a lock longer than this fails the statement (`lock_timeout`). Default 3000 ms. */
  lockTimeoutMs?: number
  /** A connection left idle inside a transaction longer than this is closed by the server. Default 10 000 ms. */
  idleInTransactionTimeoutMs?: number
  /** Giving up on opening a connection (or on a free one from the pool). Default 5000 ms. */
  connectionTimeoutMs?: number
  /** Idle connections are closed after this. Default 30 000 ms. */
  idleTimeoutMs?: number
  /** `application_name` shown in `pg_stat_activity`. Default `crumb`. */
  applicationName?: string
  /** Called with errors of idle connections (the database restarted, the network dropped). */
  onError?: (err: Error) => void
}

/**
 * A node-postgres pool for the token service: bounded, every statement under a server-side
 * `statement_timeout`, connection attempts under a client-side timeout, TCP keep-alive on, and
 * errors of idle connections handled (an unhandled `error` event would end the process when the
 * database goes away).
 *
 * @example
 * const pool = createPool('postgres://crumb@127.0.0.1:5432/crumb', { max: 10 })
 * const { rows } = await pool.query('SELECT 1 AS one')
 * await pool.end()
 */
export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const statementTimeout = options.statementTimeoutMs ?? 5000
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    statement_timeout: statementTimeout,
    lock_timeout: options.lockTimeoutMs ?? 3000,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 10_000,
    // the client gives up a little after the server would have cancelled the statement, so a
    // connection that went silent (no answer at all) cannot hang a request forever
    query_timeout: statementTimeout + 2000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    keepAlive: true,
    // a transaction's statements go out without waiting for each other (StatementPipeline); a
    // connection still runs them one at a time, in order
    pipeline: true,
    application_name: options.applicationName ?? 'crumb',
  })
  pool.on('error', (err) => options.onError?.(err))
  return pool
}
