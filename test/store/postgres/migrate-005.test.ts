// #17: db/postgres/005 (feed entries numbered after commit) on a database that already has a feed:
// a reader's cursor from before the upgrade goes on without a skip or a reset, and a writer of the
// previous version (counter row locked in its own transaction) still fits in between.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { migratePostgres, postgresMigrationsDir } from '../../../src/store/postgres/migrate.js'
import { createPool } from '../../../src/store/postgres/pool.js'
import { poolQueryable } from '../../../src/store/postgres/queryable.js'
import { postgresRevocations } from '../../../src/store/postgres/revocations.js'
import { withTransaction } from '../../../src/store/postgres/transaction.js'
import { describePostgres, usePostgresDatabase } from '../../helpers/postgres.js'
import { addEntryTheOldWay, numberedTransaction } from '../../helpers/postgres-feed.js'

const FUTURE = '2099-01-01T00:00:00.000Z'

describePostgres('db/postgres/005: the feed sequencer on an existing feed (#17)', () => {
  const db = usePostgresDatabase()
  const upTo004 = mkdtempSync(join(tmpdir(), 'crumb-migrations-'))
  afterAll(() => rmSync(upTo004, { recursive: true, force: true }))

  it('continues every cursor, and numbers old-style and new-style entries in one dense sequence', async () => {
    for (const f of readdirSync(postgresMigrationsDir())) {
      if (Number(f.slice(0, 3)) <= 4) cpSync(join(postgresMigrationsDir(), f), join(upTo004, f))
    }
    const pool = createPool(db.url, { max: 4 })
    try {
      await migratePostgres(pool, { dir: upTo004 })
      for (const t of ['tok_a', 'tok_b', 'tok_c'])
        await withTransaction(pool, (c) => addEntryTheOldWay(c, t, FUTURE))
      const feed = postgresRevocations(poolQueryable(pool))
      const before = await feed.read('0')
      expect(before.entries.map((e) => e.tokenId)).toEqual(['tok_a', 'tok_b', 'tok_c'])

      const applied = await migratePostgres(pool)
      const later = readdirSync(postgresMigrationsDir())
        .map((f) => Number(f.slice(0, 3)))
        .filter((v) => v > 4)
      expect(applied.map((m) => m.version)).toEqual(later.sort((a, b) => a - b))

      await numberedTransaction(pool, (c) =>
        postgresRevocations(c).add({ tokenId: 'tok_new', expiresAt: FUTURE }),
      )
      // instances of the previous versions, still running during a rolling upgrade: one numbering
      // under the counter row lock itself (before 005), one leaving its entry to a trigger (005)
      await withTransaction(pool, (c) => addEntryTheOldWay(c, 'tok_old_instance', FUTURE))
      await withTransaction(pool, (c) =>
        postgresRevocations(c).add({ tokenId: 'tok_005_instance', expiresAt: FUTURE }),
      )
      await numberedTransaction(pool, (c) =>
        postgresRevocations(c).add({ tokenId: 'tok_newer', expiresAt: FUTURE }),
      )

      const after = await feed.read(before.cursor)
      expect(after.reset).toBeUndefined()
      expect(after.entries.map((e) => e.tokenId)).toEqual([
        'tok_new',
        'tok_old_instance',
        'tok_005_instance',
        'tok_newer',
      ])
      expect(after.cursor).toBe('7')
      const { rows } = await pool.query<{ seq: string }>('SELECT seq FROM revocations ORDER BY seq')
      expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7])
    } finally {
      await pool.end()
    }
  })
})
