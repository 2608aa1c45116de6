import type { Store } from './port.js'
import { openSqliteStore, type SqliteStoreOptions } from './sqlite/index.js'

/**
 * Open the token service's store: SQLite at `path` (created and migrated if needed).
 *
 * @example
 * const store = openStore(join(config.dataDir, 'crumb.db'))
 */
export function openStore(path: string, options: SqliteStoreOptions = {}): Store {
  return openSqliteStore(path, options)
}
