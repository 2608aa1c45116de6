import type { PostgresDatabase } from './postgres.js'

/**
 * The engine the service suites store in: SQLite, or PostgreSQL when `CRUMB_TEST_ENGINE=postgres`
 * (vitest's `postgres` project runs the service suites that way, so both engines pass them).
 */
export const TEST_ENGINE: 'sqlite' | 'postgres' =
  process.env.CRUMB_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite'

const databases = new Map<string, Promise<PostgresDatabase>>()

/**
 * What a real token-service process needs besides its data folder to store in {@link TEST_ENGINE}:
 * nothing for SQLite; for PostgreSQL, `CRUMB_DATABASE_URL` of a database of its own — the same one
 * for the same `dataDir`, so a restarted service finds its data.
 *
 * @example
 * spawn(node, [SERVER_MAIN], { env: { CRUMB_DATA_DIR: dir, ...(await engineEnv(dir)) } })
 */
export async function engineEnv(dataDir: string): Promise<Record<string, string>> {
  if (TEST_ENGINE !== 'postgres') return {}
  let database = databases.get(dataDir)
  if (database === undefined) {
    // loaded only here: the bench scripts share the process helpers, outside vitest
    database = import('./postgres.js').then((m) => m.createMigratedPostgresDatabase())
    databases.set(dataDir, database)
  }
  return { CRUMB_DATABASE_URL: (await database).url }
}
