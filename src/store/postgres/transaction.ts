import type pg from 'pg'
import { StatementPipeline } from './pipeline.js'
import { isStalePlan, type Queryable, STALE_PLAN_ATTEMPTS } from './queryable.js'
import { asUnavailable, isUnavailable } from './unavailable.js'

// serialization_failure, deadlock_detected: the transaction did nothing and may simply run again
const RETRYABLE = new Set(['40001', '40P01'])
const MAX_ATTEMPTS = 5

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * Run `fn` in one READ COMMITTED transaction on a pooled connection: committed when it resolves,
 * rolled back when it throws. Its statements are pipelined ({@link StatementPipeline}): `BEGIN`
 * leaves with the first of them, `COMMIT` with the last writes, and a failed write fails the
 * transaction with its own error. A serialization failure or deadlock reruns it (up to 5 attempts), as
 * does a statement prepared before a migration changed its table (on another connection), so `fn`
 * must not have side effects outside the database. Connection failures become
 * `ServiceUnavailable` (503); the broken connection is dropped from the pool, not reused.
 *
 * @example
 * const key = await withTransaction(pool, async (c) => {
 *   await c.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId])
 *   return (await c.query('UPDATE keys SET revoked_at = now() WHERE id = $1 RETURNING *', [id])).rows[0]
 * })
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (q: Queryable) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient
    try {
      client = await pool.connect()
    } catch (err) {
      throw asUnavailable(err)
    }
    let broken: Error | undefined
    // a checked-out connection has no listener for its `error` event (pg-pool removes its own),
    // and an unheard `error` ends the process: the database going away mid-transaction must not
    const onError = (err: Error): void => {
      broken = err
    }
    client.on('error', onError)
    const statements = new StatementPipeline(client)
    try {
      statements.begin()
      const result = await fn(statements.queryable)
      await statements.commit()
      return result
    } catch (thrown) {
      // what fn threw after a write failed is the write's consequence (PostgreSQL refuses every
      // statement after it); the write's error says why, and whether running again may help
      const err = statements.failure?.error ?? thrown
      if (isUnavailable(err)) {
        broken = err instanceof Error ? err : new Error(String(err))
        throw asUnavailable(err)
      }
      try {
        await client.query('ROLLBACK')
      } catch (rollbackErr) {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr))
      }
      if (isStalePlan(err)) {
        // a statement prepared on this connection before a migration changed its table: drop the
        // connection (fresh ones prepare anew) and run the transaction again
        broken = err instanceof Error ? err : new Error(String(err))
        if (attempt < STALE_PLAN_ATTEMPTS) continue
        throw err
      }
      const state = sqlState(err)
      if (state !== undefined && RETRYABLE.has(state) && attempt < MAX_ATTEMPTS) continue
      throw err
    } finally {
      statements.end()
      client.removeListener('error', onError)
      client.release(broken)
    }
  }
}
