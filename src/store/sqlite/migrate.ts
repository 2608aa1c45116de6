import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type BetterSqlite3 from 'better-sqlite3'

/** A migration file found on disk: `db/sqlite/NNN_name.sql`. */
export interface Migration {
  /** The number prefix, e.g. 1 for `001_init.sql`. */
  version: number
  /** The file name, e.g. `001_init.sql`. */
  name: string
  /** The SQL text. */
  sql: string
  /** SHA-256 (hex) of the SQL text, recorded so an edited, already-applied migration is detected. */
  checksum: string
}

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

const FILE_PATTERN = /^(\d+)_[A-Za-z0-9_.-]+\.sql$/

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
 * Read the migrations in `dir`, sorted by version. Throws on two files with the same version.
 *
 * @example
 * loadMigrations().map((m) => m.name) // ['001_init.sql']
 */
export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  const migrations: Migration[] = []
  for (const name of readdirSync(dir)) {
    const match = FILE_PATTERN.exec(name)
    if (!match?.[1]) continue
    const sql = readFileSync(join(dir, name), 'utf8')
    migrations.push({
      version: Number.parseInt(match[1], 10),
      name,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    })
  }
  migrations.sort((a, b) => a.version - b.version)
  for (let i = 1; i < migrations.length; i++) {
    const prev = migrations[i - 1]
    const cur = migrations[i]
    if (prev && cur && prev.version === cur.version) {
      throw new Error(`two migrations share version ${cur.version}: ${prev.name}, ${cur.name}`)
    }
  }
  return migrations
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
  const known = new Map(migrations.map((m) => [m.version, m]))
  const selectOne = db.prepare<[number], MigrationRow>(
    'SELECT version, name, checksum, applied_at FROM schema_migrations WHERE version = ?',
  )
  const insert = db.prepare<[number, string, string, string]>(
    'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)',
  )

  for (const row of appliedMigrations(db)) {
    const m = known.get(row.version)
    if (!m) {
      throw new Error(
        `database has migration ${row.version} (${row.name}) that this build does not know: schema is newer`,
      )
    }
    if (m.checksum !== row.checksum) {
      throw new Error(`migration ${m.name} was changed after it was applied; add a new migration instead`)
    }
  }

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
