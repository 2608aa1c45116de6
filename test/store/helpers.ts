import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Store } from '../../src/store/index.js'
import { openStore } from '../../src/store/open.js'
import { type PerTest, perTest } from '../helpers/per-test.js'

/** A store on a fresh SQLite file in a temp directory. */
export interface TempStore {
  dir: string
  path: string
  store: Store
  /** A raw connection to the same file, for checks on what is stored (opened on first use). */
  readonly db: Database.Database
  /** Close the store (if open) and remove the directory. */
  cleanup(): Promise<void>
}

/** Open a migrated store on a new file under os.tmpdir(). */
export function tempStore(): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'crumb-store-'))
  const path = join(dir, 'crumb.db')
  const store = openStore(path)
  let raw: Database.Database | undefined
  return {
    dir,
    path,
    store,
    get db() {
      raw ??= new Database(path)
      return raw
    },
    async cleanup() {
      raw?.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A fresh {@link tempStore} for every test of the file (cleaned up after each); the handle reads
 * the current test's store.
 *
 * @example
 * const t = useTempStore()
 * it('inserts', () => { t.store.users.insert(user) })
 */
export function useTempStore(): PerTest<TempStore> {
  return perTest(tempStore)
}

/** A fresh temp directory (for tests that open databases themselves). */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'crumb-store-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export const DAY = 86_400_000
export const T0 = new Date('2026-01-01T00:00:00.000Z')
/** T0 plus `ms`, as an ISO string. */
export const at = (ms: number): string => new Date(T0.getTime() + ms).toISOString()

let seq = 0
/** Insert a user and return its id. */
export async function addUser(store: Store, email = `u${++seq}@example.com`): Promise<string> {
  const id = `usr_${++seq}`
  await store.users.insert({ id, email, passwordHash: 'scrypt$x', createdAt: T0 })
  return id
}

/** Insert a key with sensible defaults (created T0, expires T0 + 90d). */
export function addKey(
  store: Pick<Store, 'keys'>,
  userId: string,
  overrides: Partial<Parameters<Store['keys']['insert']>[0]> = {},
): ReturnType<Store['keys']['insert']> {
  return store.keys.insert({
    id: `tok_${++seq}`,
    userId,
    name: `key ${seq}`,
    hint: `crumb_…${String(seq).padStart(4, '0')}`,
    source: 'api',
    kid: 'k1',
    caveats: [],
    createdAt: T0,
    expiresAt: at(90 * DAY),
    ...overrides,
  })
}
