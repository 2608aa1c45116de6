/** The SQLite engine of the storage port: better-sqlite3, WAL, group commit, `db/sqlite/` migrations. */
export { type OpenDatabaseOptions, openDatabase } from './database.js'
export * from './migrate.js'
export { openSqliteStore, type SqliteStoreOptions } from './store.js'
