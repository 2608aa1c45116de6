import { openPostgresStore } from '../../src/store/postgres/index.js'
import { createPostgresDatabase, describePostgres, dropPostgresDatabase } from '../helpers/postgres.js'
import { type EngineFactory, storeContract } from './contract.js'
import { trustPoliciesContract } from './trust-policies.contract.js'

// #17 item 4: the PostgreSQL engine passes the same storage contract as SQLite, on a real
// PostgreSQL 15 (a fresh database per test; `another` is a second store, as a second instance has)
const postgres: EngineFactory = {
  name: 'postgres',
  async create() {
    const db = await createPostgresDatabase()
    const store = await openPostgresStore(db.url, { max: 6 })
    const others: Awaited<ReturnType<typeof openPostgresStore>>[] = []
    return {
      store,
      async another() {
        const other = await openPostgresStore(db.url, { max: 4 })
        others.push(other)
        return other
      },
      async cleanup() {
        await Promise.all([store.close(), ...others.map((o) => o.close())])
        await dropPostgresDatabase(db)
      },
    }
  },
}

describePostgres('postgres engine', () => {
  storeContract(postgres)
  // #20: trust policies and exchanged jtis
  trustPoliciesContract(postgres)
})
