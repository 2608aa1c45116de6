import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** A migration file found on disk: `db/<engine>/NNN_name.sql`. */
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

/** Migration file names: `NNN_name.sql`. */
export const FILE_PATTERN = /^(\d+)_[A-Za-z0-9_.-]+\.sql$/

/**
 * Read the migrations in `dir`, sorted by version. Throws on two files with the same version.
 *
 * @example
 * readMigrations('db/sqlite').map((m) => m.name) // ['001_init.sql']
 */
export function readMigrations(dir: string): Migration[] {
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

/**
 * Read the migrations in `dir` (any engine's folder), sorted by version.
 *
 * @example
 * loadMigrations(postgresMigrationsDir())
 */
export function loadMigrations(dir: string): Migration[] {
  return readMigrations(dir)
}

/**
 * Refuses a database whose applied migrations this build cannot vouch for: one it does not know
 * (the schema is newer) or one whose file changed after it was applied. Same rule on every engine.
 *
 * @example
 * checkAppliedMigrations(migrations, rows) // throws on the first mismatch
 */
export function checkAppliedMigrations(
  migrations: readonly Migration[],
  applied: Iterable<{ readonly version: number; readonly name: string; readonly checksum: string }>,
): void {
  const known = new Map(migrations.map((m) => [m.version, m]))
  for (const row of applied) {
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
}
