import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import type { Store } from '../../src/store/index.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { addKey, addUser } from './helpers.js'

// #16 item 3: the invariants hold across processes sharing one SQLite file (BEGIN IMMEDIATE + busy timeout)

const run = promisify(execFile)
const worker = join(import.meta.dirname, 'two-process-worker.ts')

let dir: string | undefined
let store: Store | undefined
afterEach(async () => {
  await store?.close()
  store = undefined
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

async function fresh(): Promise<{ path: string; store: Store }> {
  dir = mkdtempSync(join(tmpdir(), 'crumb-2proc-'))
  const path = join(dir, 'crumb.db')
  store = openSqliteStore(path)
  return { path, store }
}

/** Runs the same scenario in two processes at once; returns both outcome lists. */
async function both(path: string, scenario: string, args: Record<string, unknown>): Promise<string[]> {
  const at = Date.now() + 1500
  const spawn = (extra: Record<string, unknown>) =>
    run(
      process.execPath,
      ['--import', 'tsx', worker, path, scenario, JSON.stringify({ ...args, ...extra, at })],
      {
        timeout: 60_000,
      },
    ).then((r) => JSON.parse(r.stdout) as string[])
  const [a, b] = await Promise.all([spawn({}), spawn({})])
  return [...a, ...b]
}

describe('two processes on one SQLite file', () => {
  it('revoking a user’s last two keys from both: exactly one revocation succeeds', async () => {
    const { path, store } = await fresh()
    const uid = await addUser(store)
    const a = await addKey(store, uid, { expiresAt: new Date(Date.now() + 86_400_000) })
    const b = await addKey(store, uid, { expiresAt: new Date(Date.now() + 86_400_000) })
    const results = await both(path, 'revoke', { userId: uid, keyIds: [a.id, b.id] })
    // each process tries both keys: one revocation lands, the rest are refused or find it revoked
    expect(await store.keys.countActive(uid, new Date())).toBe(1)
    expect(results.filter((r) => r === 'last_key_protected').length).toBeGreaterThanOrEqual(1)
  }, 90_000)

  it('logins for one device from both: exactly one active key', async () => {
    const { path, store } = await fresh()
    const uid = await addUser(store)
    const results = await both(path, 'login', { userId: uid, n: 5 })
    expect(results.every((r) => r === 'ok')).toBe(true)
    const active = (await store.keys.list(uid)).filter(
      (k) => k.status === 'active' && k.name === 'CLI login on box',
    )
    expect(active).toHaveLength(1)
  }, 90_000)

  it('creations past the limit from both: exactly the limit succeed', async () => {
    const { path, store } = await fresh()
    const uid = await addUser(store)
    const results = await both(path, 'create', { userId: uid, n: 6, limit: 7 })
    expect(results.filter((r) => r === 'ok')).toHaveLength(7)
    expect(results.filter((r) => r === 'rate_limited')).toHaveLength(5)
  }, 90_000)
})
