import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { type MigrateOptions, migrate } from './migrate.js'

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Where the migrations live; default: the repository's `db/sqlite/`. */
  migrationsDir?: string
  /** Skip running migrations (for tools that inspect a database as it is). Default false. */
  skipMigrations?: boolean
}

/**
 * Open (creating if needed) the SQLite database at `path` and bring its schema up to date.
 * Sets WAL journaling, `synchronous = FULL`, `foreign_keys = ON` and a 5 s busy timeout.
 * A new database file is created with mode 0600 (it holds password hashes); its parent
 * directory is created if missing. `':memory:'` opens a private in-memory database.
 *
 * @example
 * const db = openDatabase(join(dataDir, 'crumb.db'))
 * const store = createStore(db)
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database.Database {
  const memory = path === ':memory:' || path === ''
  if (!memory) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    try {
      // create the file with owner-only permissions before SQLite does (its -wal/-shm follow suit)
      closeSync(openSync(path, 'wx', 0o600))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
  }
  const db = new Database(path, { timeout: 5000 })
  try {
    db.pragma('busy_timeout = 5000')
    if (!memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true })
      if (mode !== 'wal') throw new Error(`could not enable WAL journaling (journal_mode is ${String(mode)})`)
    }
    db.pragma('synchronous = FULL')
    db.pragma('foreign_keys = ON')
    if (!options.skipMigrations) {
      const migrateOptions: MigrateOptions = {}
      if (options.migrationsDir !== undefined) migrateOptions.dir = options.migrationsDir
      migrate(db, migrateOptions)
    }
    return db
  } catch (e) {
    db.close()
    throw e
  }
}
