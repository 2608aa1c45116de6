import { existsSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { checkAppliedMigrations, loadMigrations, type Migration } from '../migrate.js'

/**
 * The repository's `db/postgres/`, found from this module's URL so it works from `src/store/postgres/`
 * (tsx, vitest) and from `dist/src/store/postgres/` after `tsc`.
 *
 * @example
 * postgresMigrationsDir() // '/srv/crumb/db/postgres'
 */
export function postgresMigrationsDir(): string {
  const candidates = ['../../../db/postgres/', '../../../../db/postgres/'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  )
  const found = candidates.find((dir) => existsSync(dir) && statSync(dir).isDirectory())
  if (found === undefined)
    throw new Error(`migrations directory not found (looked in ${candidates.join(', ')})`)
  return found
}

/**
 * Advisory-lock key the migrations run under: any constant unique to crumb in this database
 * (here the first 8 bytes of SHA-256("crumb migrations"), as a signed 64-bit integer).
 */
export const MIGRATION_LOCK_KEY = '3796573279900604013'

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL
)`

interface MigrationRow {
  version: number
  name: string
  checksum: string
}

/** Options of {@link migratePostgres}. */
export interface PostgresMigrateOptions {
  /** Folder of `NNN_*.sql`; default {@link postgresMigrationsDir}. */
  dir?: string
}

/**
 * Bring the database's schema up to date: apply, in version order, each migration in `db/postgres/`
 * not yet recorded in `schema_migrations`, each in its own transaction. The whole run holds a
 * session advisory lock, so instances starting together migrate once: the others wait on the
 * lock, then find nothing left to do. Throws if an applied migration's file changed or the
 * database has a version this build does not know. Returns the migrations this call applied.
 *
 * @example
 * const applied = await migratePostgres(pool) // [{ version: 1, name: '001_init.sql', ... }] on a new database
 * await migratePostgres(pool)                 // []
 */
export async function migratePostgres(
  pool: pg.Pool,
  options: PostgresMigrateOptions = {},
): Promise<Migration[]> {
  const migrations = loadMigrations(options.dir ?? postgresMigrationsDir())
  const client = await pool.connect()
  let broken: Error | undefined
  // pg-pool leaves a checked-out connection without an `error` listener: without one, losing the
  // database here would end the process instead of failing the start
  const onError = (err: Error): void => {
    broken = err
  }
  client.on('error', onError)
  try {
    // a lock wait here is expected (another instance migrating), not a fault
    await client.query("SET lock_timeout = '0'")
    await client.query("SET statement_timeout = '0'")
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    try {
      await client.query(CREATE_TABLE)
      const { rows } = await client.query<MigrationRow>(
        'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
      )
      checkAppliedMigrations(migrations, rows)
      const done = new Set(rows.map((r) => r.version))
      const applied: Migration[] = []
      for (const m of migrations) {
        if (done.has(m.version)) continue
        await client.query('BEGIN')
        try {
          await client.query(m.sql)
          await client.query(
            'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, now())',
            [m.version, m.name, m.checksum],
          )
          await client.query('COMMIT')
        } catch (err) {
          await client.query('ROLLBACK')
          throw err
        }
        applied.push(m)
      }
      return applied
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      await client.query('RESET lock_timeout')
      await client.query('RESET statement_timeout')
    }
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err))
    throw err
  } finally {
    // a connection whose session state is unknown is not handed back to the pool
    client.removeListener('error', onError)
    client.release(broken)
  }
}
