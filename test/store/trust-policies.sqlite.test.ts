import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { trustPoliciesContract } from './trust-policies.contract.js'

// #20: the SQLite engine keeps trust policies and exchanged jtis (a real database file)
trustPoliciesContract({
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'crumb-trust-'))
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
})
