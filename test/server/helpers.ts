import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import Database from 'better-sqlite3'
import request, { type Test } from 'supertest'
import { afterEach } from 'vitest'
import { type CrumbApp, createApp } from '../../src/server/app.js'
import { manualClock } from '../../src/server/clock.js'
import { loadConfig, type ServiceConfig } from '../../src/server/config.js'
import { createLogger } from '../../src/server/logger.js'
import type { Store } from '../../src/store/index.js'
import { openStore } from '../../src/store/open.js'
import { openPostgresStore } from '../../src/store/postgres/index.js'
import { generateKeyRing, type KeyRing } from '../../src/token/index.js'
import { deferredStore } from '../helpers/deferred-store.js'
import { PASSWORD } from '../helpers/http.js'
import { type PerTest, perTest } from '../helpers/per-test.js'
import {
  createMigratedPostgresDatabase,
  dropPostgresDatabase,
  type PostgresDatabase,
} from '../helpers/postgres.js'
import { TEST_ENGINE } from '../helpers/test-engine.js'

export { PASSWORD }

export const DAY = 86_400_000

/** The scrypt cost tests use (never a default: see CRUMB_SCRYPT_N). */
export const TEST_SCRYPT = { n: 1024, r: 8, p: 1 } as const
export const HOUR = 3_600_000

export { TEST_ENGINE }

/** A service over a fresh store (see {@link TEST_ENGINE}), a manual clock and a captured log stream. */
export interface TestService {
  app: CrumbApp
  store: Store
  ring: KeyRing
  clock: ReturnType<typeof manualClock>
  config: ServiceConfig
  dir: string
  /**
   * Runs one SQL statement (literal values only) on the service's database, whichever the engine,
   * and returns the rows it produced: for checks on what is stored, and for breaking things.
   */
  rawQuery(sql: string): Promise<unknown[]>
  /** Every log line written so far. */
  logs: string[]
  cleanup(): Promise<void>
}

/** What {@link testService} takes: config overrides and the clock's start. */
export interface TestServiceOptions {
  config?: Partial<ServiceConfig>
  start?: string
}

interface TestStore {
  readonly store: Store
  rawQuery(sql: string): Promise<unknown[]>
  drop(): Promise<void>
}

function sqliteTestStore(dir: string): TestStore {
  const path = join(dir, 'crumb.db')
  let raw: Database.Database | undefined
  return {
    store: openStore(path),
    async rawQuery(sql) {
      raw ??= new Database(path)
      const statement = raw.prepare(sql)
      if (statement.reader) return statement.all()
      statement.run()
      return []
    },
    async drop() {
      raw?.close()
    },
  }
}

function postgresTestStore(): TestStore {
  const database: Promise<PostgresDatabase> = createMigratedPostgresDatabase()
  const store = deferredStore(
    'postgres',
    database.then((db) => openPostgresStore(db.url, { max: 4 })),
  )
  return {
    store,
    async rawQuery(sql) {
      const { default: pg } = await import('pg')
      const client = new pg.Client({ connectionString: (await database).url })
      await client.connect()
      try {
        return (await client.query(sql)).rows
      } finally {
        await client.end()
      }
    },
    async drop() {
      await dropPostgresDatabase(await database)
    },
  }
}

/** Builds a service on a temp directory; `config` overrides the defaults. */
export function testService(options: TestServiceOptions = {}): TestService {
  const dir = mkdtempSync(join(tmpdir(), 'crumb-server-'))
  const storage = TEST_ENGINE === 'postgres' ? postgresTestStore() : sqliteTestStore(dir)
  const store = storage.store
  const ring = generateKeyRing()
  const clock = manualClock(options.start ?? new Date().toISOString())
  // scrypt at a test-only cost (explicitly): OWASP's N=2^17 would cost seconds per user here
  const config: ServiceConfig = { ...loadConfig({}), dataDir: dir, scrypt: TEST_SCRYPT, ...options.config }
  const logs: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'))
      done()
    },
  })
  const logger = createLogger({ level: 'debug', destination })
  const app = createApp({ store, ring, config, logger, clock })
  return {
    rawQuery: (sql) => storage.rawQuery(sql),
    app,
    store,
    ring,
    clock,
    config,
    dir,
    logs,
    async cleanup() {
      await app.service.close()
      await store.close()
      await storage.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A fresh service for every test of the file (cleaned up after each); the handle reads the
 * current test's service, and `t.restart(() => testService({...}))` swaps in another.
 *
 * @example
 * const t = useTestService()
 * it('registers', async () => { await register(t.app) })
 */
export function useTestService(options: TestServiceOptions = {}): PerTest<TestService> {
  return perTest(() => testService(options))
}

/**
 * A logger that writes nothing (for a real `startServer` in a test).
 *
 * @example
 * await startServer({ port: 0, dataDir, env: {}, logger: quietLogger() })
 */
export function quietLogger(): ReturnType<typeof createLogger> {
  return createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) })
}

/**
 * Temp directories named `<prefix>…`, each removed after the test that made it.
 *
 * @example
 * const tempDir = useTempDirs('crumb-start-')
 * it('starts', async () => { const dir = tempDir() })
 */
export function useTempDirs(prefix: string): () => string {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(dir)
    return dir
  }
}

let n = 0
/** A unique email. */
export function email(): string {
  return `user${++n}-${process.pid}@example.com`
}

/** Registered user: its id, email, first token and key id. */
export interface Registered {
  userId: string
  email: string
  token: string
  keyId: string
}

/** Registers a user through the API. */
export async function register(app: CrumbApp, address = email()): Promise<Registered> {
  const res = await request(app).post('/v1/users').send({ email: address, password: PASSWORD }).expect(201)
  return { userId: res.body.user.id, email: address, token: res.body.token, keyId: res.body.key.id }
}

/** Authorization header value for a token. */
export function bearer(token: string): [string, string] {
  return ['Authorization', `Bearer ${token}`]
}

/** Requests to `app` that carry `token` as the bearer (see {@link api}). */
export interface AuthedApi {
  get(path: string): Test
  post(path: string): Test
  patch(path: string): Test
  delete(path: string): Test
}

/**
 * Requests to `app` authorised with `token`.
 *
 * @example
 * await api(t.app, u.token).get('/v1/whoami').expect(200)
 */
export function api(app: CrumbApp, token: string): AuthedApi {
  const authed =
    (method: keyof AuthedApi) =>
    (path: string): Test =>
      request(app)
        [method](path)
        .set(...bearer(token))
  return { get: authed('get'), post: authed('post'), patch: authed('patch'), delete: authed('delete') }
}

/** Creates a key through the API and returns `{token, key}`. */
export async function createKey(
  app: CrumbApp,
  token: string,
  body: { name: string; caveats?: string[]; expires_in?: string },
): Promise<{ token: string; key: { id: string; [k: string]: unknown } }> {
  const res = await request(app)
    .post('/v1/tokens')
    .set(...bearer(token))
    .send(body)
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

/** Asserts a problem+json response and returns its body. */
export function expectProblem(
  res: { status: number; headers: Record<string, string>; body: { code?: string } },
  status: number,
  code: string,
): { code: string; detail: string; errors?: { in: string; path: string; message: string }[] } {
  if (res.status !== status || res.body.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`)
  }
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected problem+json, got ${res.headers['content-type']}`)
  }
  if (status === 401 && res.headers['www-authenticate'] !== 'Bearer error="invalid_token"') {
    throw new Error('401 without WWW-Authenticate')
  }
  return res.body as ReturnType<typeof expectProblem>
}
