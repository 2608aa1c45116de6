import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/server/config.js'
import { loadOrCreateKeyRing } from '../../src/server/keyring-file.js'
import { redactUrl } from '../../src/server/logger.js'
import { startServer } from '../../src/server/start.js'
import { generateKeyRing, serializeKeyRing } from '../../src/token/index.js'
import {
  PASSWORD,
  quietLogger,
  register,
  testService,
  useTempDirs,
  useTestService,
} from '../server/helpers.js'

const t = useTestService()
const tempDir = useTempDirs('crumb-small-items-')

/** Signs in through the dashboard's form endpoint, as the sign-in page does (same origin, CSRF). */
async function signIn(origin: string, host: string, email: string) {
  const csrf = 'A'.repeat(43)
  return request(t.app)
    .post('/dashboard/sign-in')
    .set('Host', host)
    .set('Origin', origin)
    .set('Cookie', `crumb_csrf=${csrf}`)
    .set('X-CSRF-Token', csrf)
    .send({ email, password: PASSWORD })
}

describe('session cookie', () => {
  // #15 item 12
  it('is Secure and __Host- prefixed when the public URL is https, even over a plain hop', async () => {
    t.restart(() => testService({ config: { publicUrl: 'https://crumb.example' } }))
    const u = await register(t.app)
    const res = await signIn('https://crumb.example', 'crumb.example', u.email)
    expect(res.status).toBe(201)
    const cookies = res.headers['set-cookie'] as unknown as string[]
    const session = cookies.find((c) => c.includes('crumb_session=')) ?? ''
    expect(session).toMatch(/^__Host-crumb_session=/)
    expect(session).toMatch(/;\s*Secure/i)
    expect(session).toMatch(/;\s*Path=\//)
    expect(session).not.toMatch(/Domain=/i)
    // and it is the cookie the service reads back
    const value = /^__Host-crumb_session=([^;]+)/.exec(session)?.[1] ?? ''
    const me = await request(t.app)
      .get('/v1/whoami')
      .set('Cookie', `__Host-crumb_session=${value}`)
      .expect(200)
    expect(me.body.user.email).toBe(u.email)
    // the unprefixed name (which a sibling host could set) is not read in this mode
    await request(t.app).get('/v1/whoami').set('Cookie', `crumb_session=${value}`).expect(401)
  })

  // #15 item 12
  it('stays crumb_session without Secure on a plain-http service', async () => {
    const u = await register(t.app)
    const res = await signIn('http://127.0.0.1', '127.0.0.1', u.email)
    expect(res.status).toBe(201)
    const session = (res.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('crumb_session='),
    )
    expect(session).toBeDefined()
    expect(session).not.toMatch(/Secure/i)
  })
})

describe('Origin check', () => {
  // #15 item 12
  it('compares with CRUMB_PUBLIC_URL when set, not with the Host the request names', async () => {
    t.restart(() => testService({ config: { publicUrl: 'https://crumb.example' } }))
    const u = await register(t.app)
    const res = await signIn('http://evil.example', 'evil.example', u.email)
    expect(res.status).toBe(403)
    expect(res.body.code).toBe('forbidden')
  })
})

describe('logged URLs', () => {
  const token = `crumb_${'A'.repeat(30)}-_x`
  // #15 item 12
  it('redact anything that looks like a crumb token, in the path or the query', () => {
    expect(redactUrl(`/v1/tokens/${token}`)).toBe('/v1/tokens/[redacted]')
    expect(redactUrl(`/x?t=${token},${token}&a=1`)).toBe('/x?t=[redacted],[redacted]&a=1')
    expect(redactUrl('/v1/tokens/tok_abc?crumb_short=1')).toBe('/v1/tokens/tok_abc?crumb_short=1')
  })

  // #15 item 12
  it('a request with a token in its path leaves no token in the log', async () => {
    const u = await register(t.app)
    await request(t.app).get(`/v1/tokens/${u.token}`)
    await request(t.app).get(`/nothing?key=${u.token}`)
    const logs = t.logs.join('\n')
    expect(logs).toContain('[redacted]')
    expect(logs).not.toMatch(/crumb_[A-Za-z0-9_-]{20,}/)
  })
})

describe('key ring file permissions', () => {
  function writeRing(mode: number): string {
    const dir = tempDir()
    mkdirSync(dir, { recursive: true })
    const path = join(dir, 'keyring.json')
    writeFileSync(path, JSON.stringify(serializeKeyRing(generateKeyRing())))
    chmodSync(path, mode)
    return path
  }

  // #15 item 12
  it('a ring readable by others is refused unless CRUMB_KEYRING_ALLOW_INSECURE_MODE=true', async () => {
    const path = writeRing(0o644)
    expect(() => loadOrCreateKeyRing(path)).toThrow(/0600|chmod/)
    expect(loadOrCreateKeyRing(path, new Date(), { allowInsecureMode: true }).warning).toMatch(/644/)
    const dataDir = tempDir()
    await expect(
      startServer({ port: 0, dataDir, env: { CRUMB_KEYRING: path }, logger: quietLogger() }),
    ).rejects.toBeInstanceOf(ConfigError)
    const server = await startServer({
      port: 0,
      dataDir,
      env: { CRUMB_KEYRING: path, CRUMB_KEYRING_ALLOW_INSECURE_MODE: 'true', CRUMB_SCRYPT_N: '1024' },
      logger: quietLogger(),
    })
    await server.close()
  })
})
