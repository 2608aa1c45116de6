import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type BetterSqlite3 from 'better-sqlite3'
import { checkAppliedMigrations, FILE_PATTERN, type Migration, readMigrations } from '../migrate.js'

export type { Migration } from '../migrate.js'

/** A row of `schema_migrations`. */
export interface AppliedMigration {
  version: number
  name: string
  checksum: string
  appliedAt: string
}

/** Options for {@link migrate}. */
export interface MigrateOptions {
  /** Directory holding `NNN_*.sql`; default: the repository's `db/sqlite/` (see {@link migrationsDir}). */
  dir?: string
}

/**
 * The repository's `db/sqlite/` directory, located from this module's URL so it works both from
 * `src/store/sqlite/` (tsx, vitest) and from `dist/src/store/sqlite/` after `tsc` (dist mirrors the
 * repo root). Applied migrations are recorded by version, name and checksum, so a database migrated
 * when the files lived in `db/` carries on unchanged.
 *
 * @example
 * migrationsDir() // '/srv/crumb/db/sqlite'
 */
export function migrationsDir(): string {
  const candidates = ['../../../db/sqlite/', '../../../../db/sqlite/'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  )
  for (const dir of candidates) {
    if (
      existsSync(dir) &&
      statSync(dir).isDirectory() &&
      readdirSync(dir).some((f) => FILE_PATTERN.test(f))
    ) {
      return dir
    }
  }
  throw new Error(`migrations directory not found (looked in ${candidates.join(', ')})`)
}

/**
 * Read the SQLite migrations (default: `db/sqlite/`), sorted by version.
 *
 * @example
 * loadMigrations().map((m) => m.name) // ['001_init.sql']
 */
export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  return readMigrations(dir)
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  checksum   TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT`

interface MigrationRow {
  version: number
  name: string
  checksum: string
  applied_at: string
}

/**
 * The migrations recorded in `schema_migrations`, oldest first (empty before the first run).
 *
 * @example
 * appliedMigrations(db).at(-1)?.version // 1
 */
export function appliedMigrations(db: BetterSqlite3.Database): AppliedMigration[] {
  db.exec(CREATE_TABLE)
  return db
    .prepare<[], MigrationRow>(
      'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
    )
    .all()
    .map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAt: r.applied_at }))
}

/**
 * Apply, in version order, every migration not yet recorded in `schema_migrations`, each in its
 * own `BEGIN IMMEDIATE` transaction (so two processes starting at once do not both apply it).
 * Migration files must not contain their own BEGIN/COMMIT. Idempotent: a second run applies nothing. Throws if an applied migration's file has changed, or
 * if the database records a version this build does not have (a newer schema).
 * Returns the migrations applied by this call.
 *
 * @example
 * const applied = migrate(db)   // [{ version: 1, name: '001_init.sql', ... }] on a new database
 * migrate(db)                   // []
 */
export function migrate(db: BetterSqlite3.Database, options: MigrateOptions = {}): Migration[] {
  const migrations = loadMigrations(options.dir ?? migrationsDir())
  db.exec(CREATE_TABLE)
  const selectOne = db.prepare<[number], MigrationRow>(
    'SELECT version, name, checksum, applied_at FROM schema_migrations WHERE version = ?',
  )
  const insert = db.prepare<[number, string, string, string]>(
    'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)',
  )

  checkAppliedMigrations(migrations, appliedMigrations(db))

  const applied: Migration[] = []
  for (const m of migrations) {
    const run = db.transaction((): boolean => {
      // re-check inside the write lock: another process may have applied it meanwhile
      if (selectOne.get(m.version)) return false
      db.exec(m.sql)
      insert.run(m.version, m.name, m.checksum, new Date().toISOString())
      return true
    })
    if (run.immediate()) applied.push(m)
  }
  return applied
}
