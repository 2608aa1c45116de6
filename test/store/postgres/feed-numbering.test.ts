// #17: numbering the feed (db/postgres/006, 007) costs the same however many entries the table
// holds: its plans are made once per connection, while the table is still small, and must not read
// the whole table (a sequential scan) or leave the numbered entries in the pending index (a bitmap
// scan never marks them dead, so the index, and each scan of it, grows until the next vacuum).
import pg from 'pg'
import { expect, it } from 'vitest'
import { listenToChannel } from '../../../src/store/postgres/listener.js'
import { migratePostgres } from '../../../src/store/postgres/migrate.js'
import { createPool } from '../../../src/store/postgres/pool.js'
import { NUMBER_PENDING_REVOCATIONS } from '../../../src/store/postgres/revocations.js'
import { REVOCATIONS_CHANNEL } from '../../../src/store/postgres/store.js'
import { withTransaction } from '../../../src/store/postgres/transaction.js'
import { describePostgres, usePostgresDatabase } from '../../helpers/postgres.js'
import { addEntryTheOldWay, addPendingEntries } from '../../helpers/postgres-feed.js'

const BATCHES = 800
const PER_BATCH = 5

describePostgres('db/postgres/007: numbering the feed on a growing table (#17)', () => {
  const db = usePostgresDatabase()

  it('reads the pending entries through their index, which stays a few pages however many were numbered', async () => {
    const pool = createPool(db.url, { max: 2 })
    const client = new pg.Client({ connectionString: db.url })
    try {
      await migratePostgres(pool)
      await client.connect()
      // the plans are made here, on an empty table, and kept by this connection
      for (let b = 0; b < BATCHES; b++) {
        await addPendingEntries(client, PER_BATCH)
        await client.query(NUMBER_PENDING_REVOCATIONS)
      }

      await client.query('BEGIN')
      await addPendingEntries(client, PER_BATCH)
      const { rows: numbered } = await client.query<{ last: string }>(`${NUMBER_PENDING_REVOCATIONS} AS last`)
      const { rows: scans } = await client.query<{ seq_scan: string }>(
        "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'revocations'",
      )
      await client.query('COMMIT')
      expect(Number(numbered[0]!.last)).toBe((BATCHES + 1) * PER_BATCH)
      expect(Number(scans[0]!.seq_scan)).toBe(0)

      const { rows: size } = await client.query<{ bytes: string }>(
        "SELECT pg_relation_size('revocations_pending') AS bytes",
      )
      // 4 005 entries numbered: before 007 the index held every one of them (about 13 pages)
      expect(Number(size[0]!.bytes)).toBeLessThanOrEqual(6 * 8192)
    } finally {
      await client.end()
      await pool.end()
    }
  })

  it('notifies listeners once per numbering, and for an entry an older instance wrote with its seq (008)', async () => {
    const pool = createPool(db.url, { max: 2 })
    let notices = 0
    let ready!: () => void
    const listening = new Promise<void>((res) => {
      ready = res
    })
    const listener = listenToChannel(db.url, REVOCATIONS_CHANNEL, {
      onNotify: () => {
        notices++
      },
      onListening: () => ready(),
    })
    const settled = async (): Promise<number> => {
      // a notification arrives within milliseconds; wait well past that before counting
      await new Promise((res) => setTimeout(res, 200))
      return notices
    }
    try {
      await migratePostgres(pool)
      await listening
      await addPendingEntries(pool, 3)
      expect(await settled()).toBe(0) // committed but not numbered yet: not on the feed
      await pool.query(NUMBER_PENDING_REVOCATIONS)
      expect(await settled()).toBe(1) // three entries, one numbering, one notice
      await pool.query(NUMBER_PENDING_REVOCATIONS)
      expect(await settled()).toBe(1) // nothing pending: nothing numbered, no notice

      // an instance from before 005 during a rolling upgrade: takes the seq itself, in its transaction
      await withTransaction(pool, (c) => addEntryTheOldWay(c, 'tok_old_instance', '2099-01-01T00:00:00.000Z'))
      expect(await settled()).toBe(2)
    } finally {
      await listener.close()
      await pool.end()
    }
  })
})
