// #17: a PostgreSQL transaction's statements are pipelined. A write whose result nobody reads is
// sent without waiting for it, so its failure shows only later: it must still fail the
// transaction, with its own error (not "current transaction is aborted", nor a silent rollback
// reported as a commit), and must never be sent once the connection is back in the pool.
import type pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { migratePostgres } from '../../../src/store/postgres/migrate.js'
import { createPool } from '../../../src/store/postgres/pool.js'
import type { Queryable } from '../../../src/store/postgres/queryable.js'
import { withTransaction } from '../../../src/store/postgres/transaction.js'
import { describePostgres, usePostgresDatabase } from '../../helpers/postgres.js'

// an audit row the CHECK constraint on `event` refuses
const BAD_AUDIT = "INSERT INTO audit_events (at, event, actor) VALUES (now(), 'exploded', 'system')"
const GOOD_AUDIT = "INSERT INTO audit_events (at, event, actor) VALUES (now(), 'login', $1)"

describePostgres('pipelined transactions (#17)', () => {
  const db = usePostgresDatabase()
  let pool: pg.Pool
  beforeAll(async () => {
    pool = createPool(db.url, { max: 2 })
    await migratePostgres(pool)
  })
  afterAll(async () => {
    await pool?.end()
  })
  const audited = async (actor: string): Promise<number> =>
    (await pool.query('SELECT 1 FROM audit_events WHERE actor = $1', [actor])).rowCount ?? 0

  it('a failed write fails the transaction with its own error, though nobody waited for it', async () => {
    const err = await withTransaction(pool, async (q) => {
      await q.write(GOOD_AUDIT, ['tx-1'])
      await q.write(BAD_AUDIT)
      return 'committed'
    }).catch((e: unknown) => e)
    // PostgreSQL answers COMMIT in a failed transaction with a rollback, not an error
    expect(err).toMatchObject({ code: '23514' }) // check_violation, the write's own
    expect(await audited('tx-1')).toBe(0)
  })

  it('a statement after a failed write: the transaction reports the write, not the refusal', async () => {
    let seenByCaller: unknown
    const err = await withTransaction(pool, async (q) => {
      await q.write(BAD_AUDIT)
      try {
        await q.query('SELECT 1')
      } catch (e) {
        seenByCaller = e
        throw e
      }
    }).catch((e: unknown) => e)
    expect(seenByCaller).toMatchObject({ code: '25P02' }) // in_failed_sql_transaction
    expect(err).toMatchObject({ code: '23514' })
  })

  it('writes run in order before the statements after them, and commit with the transaction', async () => {
    const seen = await withTransaction(pool, async (q) => {
      for (let i = 0; i < 5; i++) await q.write(GOOD_AUDIT, ['tx-3'])
      return (await q.query('SELECT count(*)::int AS n FROM audit_events WHERE actor = $1', ['tx-3'])).rows[0]
    })
    expect(seen).toEqual({ n: 5 })
    expect(await audited('tx-3')).toBe(5)
  })

  it('a transaction that throws after its writes leaves nothing behind', async () => {
    await expect(
      withTransaction(pool, async (q) => {
        await q.write(GOOD_AUDIT, ['tx-4'])
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(await audited('tx-4')).toBe(0)
  })

  it('refuses statements once the transaction ended (the connection may serve another by then)', async () => {
    let kept: Queryable | undefined
    await withTransaction(pool, async (q) => {
      kept = q
    })
    await expect(kept!.write(GOOD_AUDIT, ['tx-5'])).rejects.toThrow('this transaction has ended')
    await expect(kept!.query('SELECT 1')).rejects.toThrow('this transaction has ended')
    // nothing was sent
    await withTransaction(pool, async (q) => q.query('SELECT 1'))
    expect(await audited('tx-5')).toBe(0)
  })
})
