import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, inject } from 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the run's PostgreSQL ('' when none: the PostgreSQL cases are skipped). */
    postgresUrl: string
    /** Why there is no PostgreSQL ('' when there is one). */
    postgresSkipReason: string
  }
}

/** The run's PostgreSQL admin URL, or undefined when the PostgreSQL cases are skipped. */
export function postgresAdminUrl(): string | undefined {
  const url = inject('postgresUrl')
  return url === '' ? undefined : url
}

/**
 * `describe` for PostgreSQL cases: skipped (the title says why) when the run has no PostgreSQL.
 * On CI the run fails instead (see the global setup).
 *
 * @example
 * describePostgres('postgres store', () => { ... })
 */
export function describePostgres(title: string, body: () => void): void {
  const reason = inject('postgresSkipReason')
  if (reason !== '') describe.skip(`${title} (skipped: ${reason})`, body)
  else describe(title, body)
}

/** A database of its own in the run's PostgreSQL. */
export interface PostgresDatabase {
  /** Connection URL of the database. */
  readonly url: string
  readonly name: string
}

function withDatabase(adminUrl: string, name: string): string {
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  return u.toString()
}

/**
 * Create a database (dropped by {@link dropPostgresDatabase}) in the run's PostgreSQL: empty, or a
 * copy of `template`.
 *
 * @example
 * const db = await createPostgresDatabase()
 */
export async function createPostgresDatabase(
  adminUrl = postgresAdminUrl(),
  template = 'template0',
): Promise<PostgresDatabase> {
  if (adminUrl === undefined) throw new Error('no PostgreSQL in this run')
  const name = `crumb_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`)
  } finally {
    await admin.end()
  }
  return { url: withDatabase(adminUrl, name), name }
}

/** Drop a database made by {@link createPostgresDatabase}, cutting its remaining connections. */
export async function dropPostgresDatabase(
  db: PostgresDatabase,
  adminUrl = postgresAdminUrl(),
): Promise<void> {
  if (adminUrl === undefined) return
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`)
  } finally {
    await admin.end()
  }
}

/**
 * A fresh database for the calling test file: created before its tests, dropped after them.
 * Use inside {@link describePostgres}.
 *
 * @example
 * describePostgres('x', () => {
 *   const db = usePostgresDatabase()
 *   it('connects', async () => { const pool = createPool(db.url) ... })
 * })
 */
export function usePostgresDatabase(): PostgresDatabase {
  let current: PostgresDatabase | undefined
  beforeAll(async () => {
    current = await createPostgresDatabase()
  })
  afterAll(async () => {
    if (current !== undefined) await dropPostgresDatabase(current)
  })
  return {
    get url() {
      if (current === undefined) throw new Error('the database exists only while the file runs')
      return current.url
    },
    get name() {
      if (current === undefined) throw new Error('the database exists only while the file runs')
      return current.name
    },
  }
}

let template: Promise<PostgresDatabase> | undefined

/**
 * A database with the schema migrated, for one test: a copy of a template this process migrated
 * once (`CREATE DATABASE … TEMPLATE`, much faster than migrating each time). Drop it with
 * {@link dropPostgresDatabase}.
 *
 * @example
 * const db = await createMigratedPostgresDatabase()
 * const store = await openPostgresStore(db.url)
 */
export async function createMigratedPostgresDatabase(
  adminUrl = postgresAdminUrl(),
): Promise<PostgresDatabase> {
  if (adminUrl === undefined) throw new Error('no PostgreSQL in this run')
  template ??= (async () => {
    const db = await createPostgresDatabase(adminUrl)
    const { openPostgresStore } = await import('../../src/store/postgres/index.js')
    // migrated, then closed: a template database must have no connections when it is copied
    await (await openPostgresStore(db.url, { max: 1 })).close()
    return db
  })()
  return createPostgresDatabase(adminUrl, (await template).name)
}
