import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { type EngineFactory, storeContract } from './contract.js'
import { trustPoliciesContract } from './trust-policies.contract.js'

// #16 item 3: the SQLite engine passes the storage contract (the PostgreSQL engine runs the same suite)
const sqlite: EngineFactory = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'crumb-contract-'))
    const path = join(dir, 'crumb.db')
    const store = openSqliteStore(path, { watchIntervalMs: 50 })
    return {
      store,
      another: async () => openSqliteStore(path, { watchIntervalMs: 50 }),
      async cleanup() {
        await store.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
}
storeContract(sqlite)
// #20: trust policies and exchanged jtis
trustPoliciesContract(sqlite)
