// #17: the PostgreSQL store prepares its statements once per connection. A migration that changes
// a table's columns while instances run (a rolling upgrade) makes PostgreSQL refuse the prepared
// `SELECT *` ("cached plan must not change result type"): the store must carry on, not fail
// every request until it restarts.
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Store } from '../../../src/store/index.js'
import { openPostgresStore } from '../../../src/store/postgres/store.js'
import {
  createMigratedPostgresDatabase,
  describePostgres,
  dropPostgresDatabase,
  type PostgresDatabase,
} from '../../helpers/postgres.js'
import { addKey, addUser } from '../helpers.js'

describePostgres('prepared statements and a schema change under them (#17)', () => {
  let db: PostgresDatabase
  let store: Store
  beforeAll(async () => {
    db = await createMigratedPostgresDatabase()
    store = await openPostgresStore(db.url, { max: 2 })
  })
  afterAll(async () => {
    await store?.close()
    if (db !== undefined) await dropPostgresDatabase(db)
  })

  it('a column added while the store runs: reads and transactions go on', async () => {
    const uid = await addUser(store)
    const key = await addKey(store, uid)
    // every pooled connection has prepared the statements
    for (let i = 0; i < 4; i++) {
      await Promise.all([store.keys.get(key.id), store.transaction((tx) => tx.keys.get(key.id))])
    }
    const admin = new pg.Client({ connectionString: db.url })
    await admin.connect()
    try {
      await admin.query('ALTER TABLE keys ADD COLUMN added_by_a_later_version text')
    } finally {
      await admin.end()
    }
    for (let i = 0; i < 4; i++) {
      expect((await store.keys.get(key.id))?.id).toBe(key.id)
      expect((await store.transaction((tx) => tx.keys.get(key.id)))?.id).toBe(key.id)
    }
  })
})
