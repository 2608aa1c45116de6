import { join } from 'node:path'
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

/** Where {@link openConfiguredStore} keeps the data. */
export interface StoreLocation {
  /** `postgres://…`: PostgreSQL (shared by several instances). Undefined: SQLite in `dataDir`. */
  readonly databaseUrl?: string | undefined
  /** SQLite's folder (`crumb.db` inside it). */
  readonly dataDir: string
  /** Told about lost database connections (the store reconnects by itself). */
  readonly onConnectionError?: ((err: Error) => void) | undefined
}

/**
 * Open the engine the configuration names (`CRUMB_DATABASE_URL`): PostgreSQL when a URL is given,
 * else SQLite at `$CRUMB_DATA_DIR/crumb.db`. The PostgreSQL driver is loaded only when asked for.
 *
 * @example
 * const store = await openConfiguredStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
 */
export async function openConfiguredStore(location: StoreLocation): Promise<Store> {
  if (location.databaseUrl === undefined) return openStore(join(location.dataDir, 'crumb.db'))
  const { openPostgresStore } = await import('./postgres/index.js')
  return openPostgresStore(
    location.databaseUrl,
    location.onConnectionError === undefined ? {} : { onConnectionError: location.onConnectionError },
  )
}
