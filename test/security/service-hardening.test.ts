/**
 * Regression tests for the security review of the token service (src/server). Each `it` names the
 * finding it guards; "guard:" tests pin behaviour that was probed and found correct, so it stays so.
 */
import { chmodSync, statSync, writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { join } from 'node:path'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { runJobs } from '../../src/server/jobs.js'
import { redactUrl } from '../../src/server/logger.js'
import { startServer } from '../../src/server/start.js'
import { attenuate } from '../../src/token/index.js'
import { registerViaApi } from '../helpers/http.js'
import {
  api,
  bearer,
  createKey,
  expectProblem,
  HOUR,
  PASSWORD,
  quietLogger,
  register,
  testService,
  useTempDirs,
  useTestService,
} from '../server/helpers.js'

const t = useTestService()

const errorLogs = (): string[] => t.logs.filter((l) => l.includes('"level":50'))

describe('malformed request paths', () => {
  it('finding 1: a path param with broken percent-encoding is 400 validation_failed, not a logged 500', async () => {
    const u = await register(t.app)
    for (const path of ['/v1/tokens/%E0%A4%A', '/v1/tokens/%ZZ', '/v1/tokens/tok_%C0/rotate']) {
      const res = await request(t.app)
        .patch(path)
        .set(...bearer(u.token))
        .send({ name: 'x' })
      if (path.endsWith('/rotate')) continue // PATCH has no rotate route: 404 is fine
      const body = expectProblem(res, 400, 'validation_failed')
      expect(body.detail).not.toContain('%') // the raw path is not echoed
    }
    const del = await api(t.app, u.token).delete('/v1/sessions/%E0%A4%A')
    expectProblem(del, 400, 'validation_failed')
    expect(errorLogs()).toEqual([])
  })
})

describe('login rate limit', () => {
  it('finding 2: concurrent wrong-password attempts cannot all pass the check (limit counted before scrypt)', async () => {
    const u = await register(t.app)
    const attempts = await Promise.all(
      Array.from({ length: 25 }, () =>
        request(t.app)
          .post('/v1/auth/login')
          .send({ email: u.email, password: 'wrong-password', device: 'd' }),
      ),
    )
    const statuses = attempts.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(t.config.loginLimit)
    expect(statuses.filter((s) => s === 429)).toHaveLength(25 - t.config.loginLimit)
    for (const r of attempts.filter((x) => x.status === 429))
      expect(r.headers['retry-after']).toMatch(/^\d+$/)
  })

  it('finding 2: a successful login does not count against the per-IP failure limit', async () => {
    const u = await register(t.app)
    for (let i = 0; i < t.config.loginLimit + 3; i++) {
      await request(t.app)
        .post('/v1/auth/login')
        .send({ email: u.email, password: PASSWORD, device: `d${i}` })
        .expect(201)
    }
  })

  it('guard: email case and surrounding spaces share one bucket; X-Forwarded-For is ignored without trust proxy', async () => {
    const u = await register(t.app)
    const variants = [u.email.toUpperCase(), ` ${u.email} `, u.email]
    for (let i = 0; i < t.config.loginLimit; i++) {
      await request(t.app)
        .post('/v1/auth/login')
        .set('X-Forwarded-For', `198.51.100.${i}`)
        .send({ email: variants[i % 3], password: 'wrong-password', device: 'd' })
        .expect(401)
    }
    const res = await request(t.app)
      .post('/v1/auth/login')
      .set('X-Forwarded-For', '203.0.113.99')
      .send({ email: u.email, password: PASSWORD, device: 'd' })
    expectProblem(res, 429, 'rate_limited')
  })

  it('guard: unknown email and wrong password give the identical problem (no enumeration by code or detail)', async () => {
    const u = await register(t.app)
    const unknown = await request(t.app)
      .post('/v1/auth/login')
      .send({ email: 'nobody@example.com', password: 'wrong-password', device: 'd' })
    const wrong = await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: 'wrong-password', device: 'd' })
    expect(unknown.status).toBe(401)
    expect(unknown.body).toEqual(wrong.body)
  })
})

describe('rotation grace', () => {
  it('finding 3: the old key fails as soon as its grace ends, before the periodic job revokes it', async () => {
    const u = await register(t.app)
    const old = await createKey(t.app, u.token, { name: 'ci' })
    await api(t.app, u.token).post(`/v1/tokens/${old.key.id}/rotate`).send({ grace: '1h' }).expect(201)
    await api(t.app, old.token).get('/v1/whoami').expect(200)
    t.clock.advance(HOUR + 1000)
    expectProblem(await api(t.app, old.token).get('/v1/whoami'), 401, 'token_revoked')
    // remote verification answers the same
    const verified = await api(t.app, u.token).post('/v1/verify').send({ token: old.token })
    expectProblem(verified, 401, 'token_revoked')
    await runJobs(t.app.service)
    expectProblem(await api(t.app, old.token).get('/v1/whoami'), 401, 'token_revoked')
  })
})

describe('secrets in logs', () => {
  it('finding 4: user codes in query strings are redacted from request logs', async () => {
    const u = await register(t.app)
    const codes = await request(t.app).post('/v1/auth/device').send({ device: 'box' }).expect(200)
    const userCode: string = codes.body.user_code
    await api(t.app, u.token)
      .get(`/v1/auth/device?user_code=${encodeURIComponent(userCode)}`)
      .expect(200)
    await request(t.app).get(`/device?USER_CODE=${userCode.toLowerCase()}&x=1`)
    const all = t.logs.join('\n')
    expect(all).toContain('user_code=[redacted]')
    expect(all.toUpperCase()).not.toContain(userCode)
    expect(all.toUpperCase()).not.toContain(userCode.replace('-', ''))
  })

  it('finding 4: redactUrl blanks secret parameters only, whatever their case or encoding', async () => {
    expect(redactUrl('/device?user_code=WDJB-MJHT')).toBe('/device?user_code=[redacted]')
    expect(redactUrl('/x?a=1&User%5Fcode=abc&token=crumb_x&b=2')).toBe(
      '/x?a=1&User%5Fcode=[redacted]&token=[redacted]&b=2',
    )
    expect(redactUrl('/v1/revocations?since=3&wait=30')).toBe('/v1/revocations?since=3&wait=30')
    expect(redactUrl('/plain')).toBe('/plain')
    expect(redactUrl('/x?%E0%A4%A=1')).toBe('/x?%E0%A4%A=1')
  })

  it('guard: no token, password, device code or credential header reaches the logs', async () => {
    const u = await register(t.app)
    const codes = await request(t.app).post('/v1/auth/device').send({ device: 'box' })
    await request(t.app).post('/v1/auth/device/token').send({ device_code: codes.body.device_code })
    await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: 'wrong-password-xyz', device: 'd' })
    await request(t.app).get('/v1/whoami').set('X-API-Key', u.token).set('Cookie', 'crumb_session=s3cr3t')
    await request(t.app)
      .post('/v1/revocations')
      .send({ token: `${u.token}x` })
    await api(t.app, u.token).post('/v1/verify').send({ token: u.token })
    const all = t.logs.join('\n')
    expect(all).not.toMatch(/crumb_[A-Za-z0-9_-]{20,}/)
    expect(all).not.toContain(PASSWORD)
    expect(all).not.toContain('wrong-password-xyz')
    expect(all).not.toContain(codes.body.device_code)
    expect(all).not.toContain('s3cr3t')
    expect(all.toLowerCase()).not.toContain('"authorization"')
  })
})

describe('device flow limits', () => {
  it('finding 5: guessing user codes is rate-limited per user (lookup and approve share the budget)', async () => {
    const u = await register(t.app)
    const codes = await request(t.app).post('/v1/auth/device').send({ device: 'box' }).expect(200)
    for (let i = 0; i < t.config.loginLimit; i++) {
      const path =
        i % 2 === 0
          ? request(t.app).get('/v1/auth/device?user_code=BBBB-BBBB')
          : request(t.app).post('/v1/auth/device/approve').send({ user_code: 'BBBB-BBBB', approve: false })
      expectProblem(await path.set(...bearer(u.token)), 404, 'not_found')
    }
    // even the right code is refused while locked out
    const locked = await api(t.app, u.token).get(`/v1/auth/device?user_code=${codes.body.user_code}`)
    expectProblem(locked, 429, 'rate_limited')
    // another user is not affected
    const other = await register(t.app)
    await api(t.app, other.token).get(`/v1/auth/device?user_code=${codes.body.user_code}`).expect(200)
    t.clock.advance(t.config.loginWindowMs + 1000)
    const fresh = await request(t.app).post('/v1/auth/device').send({ device: 'box' }).expect(200)
    await api(t.app, u.token).get(`/v1/auth/device?user_code=${fresh.body.user_code}`).expect(200)
  })

  it('finding 5: starting device authorizations (public, writes a row) is rate-limited per IP', async () => {
    t.restart(() => testService({ config: { deviceStartLimit: 3 } }))
    for (let i = 0; i < 3; i++)
      await request(t.app).post('/v1/auth/device').send({ device: 'box' }).expect(200)
    const res = await request(t.app).post('/v1/auth/device').send({ device: 'box' })
    expectProblem(res, 429, 'rate_limited')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('guard: a read-only token cannot approve; a device code is single use', async () => {
    const u = await register(t.app)
    const codes = await request(t.app).post('/v1/auth/device').send({ device: 'box' }).expect(200)
    const ro = attenuate(u.token, ['ops = read'])
    expectProblem(
      await api(t.app, ro)
        .post('/v1/auth/device/approve')
        .send({ user_code: codes.body.user_code, approve: true }),
      403,
      'insufficient_scope',
    )
    await api(t.app, u.token)
      .post('/v1/auth/device/approve')
      .send({ user_code: codes.body.user_code, approve: true })
      .expect(200)
    t.clock.advance(10_000)
    await request(t.app)
      .post('/v1/auth/device/token')
      .send({ device_code: codes.body.device_code })
      .expect(200)
    t.clock.advance(10_000)
    const again = await request(t.app)
      .post('/v1/auth/device/token')
      .send({ device_code: codes.body.device_code })
    expectProblem(again, 400, 'expired_token')
  })
})

describe('careless input', () => {
  it('finding 6: a key whose expires caveat is already past is refused (400 naming the caveat)', async () => {
    const u = await register(t.app)
    const res = await api(t.app, u.token)
      .post('/v1/tokens')
      .send({ name: 'dead', caveats: ['ops = read', 'expires = 2000-01-01T00:00:00Z'] })
    const body = expectProblem(res, 400, 'validation_failed')
    expect(body.errors?.[0]?.path).toBe('caveats.1')
    const keys = await api(t.app, u.token).get('/v1/tokens')
    expect(keys.body.keys.map((k: { name: string }) => k.name)).not.toContain('dead')
  })

  it('finding 7: key and device names refuse bidi overrides and unpaired surrogates', async () => {
    const u = await register(t.app)
    for (const name of ['deploy\u202egnp.exe', 'a\u2066b', 'x\ud800y']) {
      const res = await api(t.app, u.token).post('/v1/tokens').send({ name })
      expectProblem(res, 400, 'validation_failed')
      expectProblem(
        await request(t.app)
          .post('/v1/auth/login')
          .send({ email: u.email, password: PASSWORD, device: name }),
        400,
        'validation_failed',
      )
    }
    // ordinary non-ASCII names still work
    await createKey(t.app, u.token, { name: 'Déploiement — ünïcødé 🚀' })
  })
})

describe('privilege escalation (guards)', () => {
  it('guard: a read-only attenuation lists but cannot create, rename, revoke, rotate, post usage or sign out sessions', async () => {
    const u = await register(t.app)
    const other = await createKey(t.app, u.token, { name: 'other' })
    const ro = bearer(attenuate(u.token, ['ops = read']))
    await request(t.app)
      .get('/v1/tokens')
      .set(...ro)
      .expect(200)
    const writes = [
      request(t.app)
        .post('/v1/tokens')
        .set(...ro)
        .send({ name: 'x' }),
      request(t.app)
        .patch(`/v1/tokens/${other.key.id}`)
        .set(...ro)
        .send({ name: 'x' }),
      request(t.app)
        .delete(`/v1/tokens/${other.key.id}`)
        .set(...ro),
      request(t.app)
        .post(`/v1/tokens/${other.key.id}/rotate`)
        .set(...ro)
        .send({}),
      request(t.app)
        .post('/v1/usage')
        .set(...ro)
        .send({ reports: [] }),
      request(t.app)
        .delete('/v1/sessions/others')
        .set(...ro),
    ]
    for (const res of await Promise.all(writes)) expectProblem(res, 403, 'insufficient_scope')
  })

  it("guard: user B touching user A's key by id gets 404 not_found (existence not leaked)", async () => {
    const a = await register(t.app)
    const b = await register(t.app)
    const key = await createKey(t.app, a.token, { name: 'a-key' })
    const B = bearer(b.token)
    for (const res of [
      await request(t.app)
        .patch(`/v1/tokens/${key.key.id}`)
        .set(...B)
        .send({ name: 'pwn' }),
      await request(t.app)
        .delete(`/v1/tokens/${key.key.id}`)
        .set(...B),
      await request(t.app)
        .delete(`/v1/tokens/${key.key.id}?hard=true`)
        .set(...B)
        .set('X-Confirm-Destructive', 'true'),
      await request(t.app)
        .post(`/v1/tokens/${key.key.id}/rotate`)
        .set(...B)
        .send({}),
      await request(t.app)
        .delete(`/v1/sessions/${key.key.id}`)
        .set(...B),
    ])
      expectProblem(res, 404, 'not_found')
    const audit = await request(t.app)
      .get(`/v1/audit?key_id=${key.key.id}`)
      .set(...B)
      .expect(200)
    expect(audit.body.events).toEqual([])
  })

  it('guard: a key created with caveats (CI key) and attenuations cannot mint broader keys', async () => {
    const u = await register(t.app)
    const ci = await createKey(t.app, u.token, { name: 'ci', caveats: ['ops = read,write'] })
    for (const token of [ci.token, attenuate(u.token, ['ops = read,write'])]) {
      expectProblem(
        await api(t.app, token).post('/v1/tokens').send({ name: 'broader' }),
        403,
        'insufficient_scope',
      )
      expectProblem(
        await api(t.app, token).post(`/v1/tokens/${ci.key.id}/rotate`).send({}),
        403,
        'insufficient_scope',
      )
    }
  })

  it('guard: revoked and hard-deleted tokens (and their attenuations) stay token_revoked', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'k' })
    const child = attenuate(k.token, ['ops = read'])
    await api(t.app, u.token)
      .delete(`/v1/tokens/${k.key.id}?hard=true`)
      .set('X-Confirm-Destructive', 'true')
      .expect(204)
    expect(await t.store.keys.get(k.key.id)).toBeUndefined()
    for (const token of [k.token, child]) {
      expectProblem(await api(t.app, token).get('/v1/whoami'), 401, 'token_revoked')
    }
  })

  it('guard: POST /v1/revocations with a forged signature revokes nothing; a foreign key ring is invalid_token', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'k' })
    const last = k.token.at(-2) === 'A' ? 'B' : 'A'
    const forged = `${k.token.slice(0, -2)}${last}${k.token.at(-1)}`
    expectProblem(await request(t.app).post('/v1/revocations').send({ token: forged }), 401, 'invalid_token')
    await api(t.app, k.token).get('/v1/whoami').expect(200)
    const foreign = testService()
    try {
      const f = await register(foreign.app)
      expectProblem(
        await request(t.app).post('/v1/revocations').send({ token: f.token }),
        401,
        'invalid_token',
      )
    } finally {
      foreign.cleanup()
    }
    expect(await t.store.revocations.all()).toEqual([])
  })
})

describe('process: shutdown and data directory', () => {
  const tempDir = useTempDirs('crumb-sec-')
  const quiet = quietLogger()

  it('finding 8: close() drains many keep-alive long-polls promptly (not after keepAliveTimeout)', async () => {
    const dir = tempDir()
    const server = await startServer({ port: 0, dataDir: dir, env: {}, logger: quiet })
    const token = await registerViaApi(server.url, 'polls@example.com')
    // a keep-alive agent, one socket per poll: the sockets stay open after the answers unless the
    // server ends them
    const agent = new Agent({ keepAlive: true, maxSockets: 1000 })
    const poll = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(
          `${server.url}/v1/revocations?since=0&wait=30`,
          { headers: { authorization: `Bearer ${token}` }, agent },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        req.end()
      })
    const polls = Array.from({ length: 100 }, () => poll().catch((e: unknown) => String(e)))
    // every poll is accepted and waiting before the shutdown starts (on a loaded machine that can take a while)
    await new Promise((r) => setTimeout(r, 3000))
    const started = Date.now()
    await server.close()
    const statuses = await Promise.all(polls)
    agent.destroy()
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('guard: the data directory is 0700 and the key ring and database are 0600', async () => {
    const dir = tempDir()
    const data = join(dir, 'data')
    const server = await startServer({ port: 0, dataDir: data, env: {}, logger: quiet })
    await server.close()
    expect(statSync(data).mode & 0o777).toBe(0o700)
    expect(statSync(join(data, 'keyring.json')).mode & 0o777).toBe(0o600)
    expect(statSync(join(data, 'crumb.db')).mode & 0o777).toBe(0o600)
  })

  it('guard: a corrupt key ring stops start-up with a message naming the file, never its content', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'keyring.json'), '{"primary":"SECRET-CONTENT"', { mode: 0o600 })
    chmodSync(join(dir, 'keyring.json'), 0o600)
    const err = await startServer({ port: 0, dataDir: dir, env: {}, logger: quiet }).then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    expect(err?.message).toContain('keyring.json')
    expect(err?.message).not.toContain('SECRET-CONTENT')
  })
})
