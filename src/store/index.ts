import type BetterSqlite3 from 'better-sqlite3'
import { type AuditRepo, createAuditRepo } from './audit.js'
import { type OpenDatabaseOptions, openDatabase } from './database.js'
import { createDeviceCodesRepo, type DeviceCodesRepo } from './device-codes.js'
import { createKeysRepo, type KeysRepo } from './keys.js'
import { createRevocationsRepo, type RevocationsRepo } from './revocations.js'
import { createUsersRepo, type UsersRepo } from './users.js'

export * from './audit.js'
export * from './database.js'
export * from './device-codes.js'
export * from './keys.js'
export * from './migrate.js'
export * from './revocations.js'
export * from './time.js'
export * from './users.js'

/**
 * The token service's persistence: one repository per table family, statements prepared once.
 * All methods are synchronous (better-sqlite3).
 */
export interface Store {
  /** The underlying connection (for pragmas, backups, tests). */
  readonly db: BetterSqlite3.Database
  readonly users: UsersRepo
  readonly keys: KeysRepo
  readonly audit: AuditRepo
  readonly revocations: RevocationsRepo
  readonly deviceCodes: DeviceCodesRepo
  /**
   * Run `fn` in one `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back when it
   * throws. `fn` must be synchronous. Nested calls become savepoints.
   *
   * @example
   * store.transaction(() => {
   *   if (store.keys.countActive(uid, now) <= 1) throw new CrumbError('last_key_protected', '...')
   *   store.keys.revoke(id, now, 'user')
   *   store.revocations.add({ tokenId: id, expiresAt: key.expiresAt })
   *   store.audit.append({ event: 'revoked', userId: uid, keyId: id, actor })
   * })
   */
  transaction<T>(fn: () => T): T
  /** Close the connection. @example store.close() */
  close(): void
}

/**
 * Group the repositories over an open database (see {@link openDatabase}).
 *
 * @example
 * const store = createStore(openDatabase('/var/lib/crumb/crumb.db'))
 * store.users.getByEmail('a@example.com')
 */
export function createStore(db: BetterSqlite3.Database): Store {
  const runInTransaction = db.transaction((fn: () => unknown): unknown => fn())
  return {
    db,
    users: createUsersRepo(db),
    keys: createKeysRepo(db),
    audit: createAuditRepo(db),
    revocations: createRevocationsRepo(db),
    deviceCodes: createDeviceCodesRepo(db),
    transaction<T>(fn: () => T): T {
      return runInTransaction.immediate(fn) as T
    },
    close() {
      db.close()
    },
  }
}

/**
 * Open (and migrate) the database at `path` and wrap it in a {@link Store}.
 *
 * @example
 * const store = openStore(join(process.env.CRUMB_DATA_DIR ?? 'data', 'crumb.db'))
 */
export function openStore(path: string, options: OpenDatabaseOptions = {}): Store {
  return createStore(openDatabase(path, options))
}
