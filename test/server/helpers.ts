import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import request from 'supertest'
import { type CrumbApp, createApp } from '../../src/server/app.js'
import { manualClock } from '../../src/server/clock.js'
import { loadConfig, type ServiceConfig } from '../../src/server/config.js'
import { createLogger } from '../../src/server/logger.js'
import { openStore, type Store } from '../../src/store/index.js'
import { generateKeyRing, type KeyRing } from '../../src/token/index.js'

export const DAY = 86_400_000
export const HOUR = 3_600_000
export const PASSWORD = 'correct horse battery staple'

/** A service over a fresh SQLite file, a manual clock and a captured log stream. */
export interface TestService {
  app: CrumbApp
  store: Store
  ring: KeyRing
  clock: ReturnType<typeof manualClock>
  config: ServiceConfig
  dir: string
  /** Every log line written so far. */
  logs: string[]
  cleanup(): void
}

/** Builds a service on a temp directory; `config` overrides the defaults. */
export function testService(options: { config?: Partial<ServiceConfig>; start?: string } = {}): TestService {
  const dir = mkdtempSync(join(tmpdir(), 'crumb-server-'))
  const store = openStore(join(dir, 'crumb.db'))
  const ring = generateKeyRing()
  const clock = manualClock(options.start ?? new Date().toISOString())
  const config: ServiceConfig = { ...loadConfig({}), dataDir: dir, ...options.config }
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
    app,
    store,
    ring,
    clock,
    config,
    dir,
    logs,
    cleanup() {
      app.service.close()
      if (store.db.open) store.close()
      rmSync(dir, { recursive: true, force: true })
    },
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
