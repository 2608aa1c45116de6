import type pg from 'pg'
import type { Queryable } from '../../src/store/postgres/queryable.js'
import { NUMBER_PENDING_REVOCATIONS } from '../../src/store/postgres/revocations.js'
import { withTransaction } from '../../src/store/postgres/transaction.js'

/**
 * A transaction whose feed entries are numbered once it has committed, as the PostgreSQL store
 * does (db/postgres/006).
 *
 * @example
 * await numberedTransaction(pool, (c) => postgresRevocations(c).add({ tokenId, expiresAt }))
 */
export async function numberedTransaction<T>(pool: pg.Pool, fn: (q: Queryable) => Promise<T>): Promise<T> {
  const result = await withTransaction(pool, fn)
  await pool.query(NUMBER_PENDING_REVOCATIONS)
  return result
}

/**
 * How an instance from before db/postgres/005 adds a whole-token entry: it takes the seq itself,
 * under the counter row lock, in its own transaction (`c` must be one).
 *
 * @example
 * await withTransaction(pool, (c) => addEntryTheOldWay(c, 'tok_old', '2099-01-01T00:00:00.000Z'))
 */
export async function addEntryTheOldWay(c: Queryable, tokenId: string, expiresAt: string): Promise<void> {
  const { rows } = await c.query<{ last_seq: string }>(
    'SELECT last_seq FROM revocation_feed WHERE only_row FOR UPDATE',
  )
  const next = Number(rows[0]!.last_seq) + 1
  await c.query(
    `INSERT INTO revocations (seq, token_id, revocation_id, expires_at, created_at) VALUES ($1, $2, '', $3, now())`,
    [next, tokenId, expiresAt],
  )
  await c.query('UPDATE revocation_feed SET last_seq = $1 WHERE only_row', [next])
}

/**
 * Writes `n` pending whole-token entries (random token ids, expiring in a day) in one statement.
 *
 * @example
 * await addPendingEntries(client, 5)
 */
export function addPendingEntries(q: Pick<pg.ClientBase, 'query'>, n: number): Promise<unknown> {
  return q.query(
    `INSERT INTO revocations (token_id, revocation_id, expires_at, created_at)
     SELECT 'tok_' || md5(random()::text), '', now() + interval '1 day', now() FROM generate_series(1, $1)`,
    [n],
  )
}
