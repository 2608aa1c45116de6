import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { api, email, expectProblem, PASSWORD, register, testService, useTestService } from './helpers.js'

const t = useTestService()

describe('POST /v1/users', () => {
  it('registers with a scrypt hash and returns the first key (source register)', async () => {
    const address = email()
    const res = await request(t.app)
      .post('/v1/users')
      .send({ email: address, password: PASSWORD })
      .expect(201)
    expect(res.body.user).toEqual({ id: expect.stringMatching(/^usr_/), email: address })
    expect(res.body.key).toMatchObject({ source: 'register', name: 'Registration key', status: 'active' })
    const hash = (await t.store.users.get(res.body.user.id))?.passwordHash ?? ''
    expect(hash).toMatch(/^scrypt\$/)
    expect(hash).not.toContain(PASSWORD)
    const whoami = await api(t.app, res.body.token).get('/v1/whoami').expect(200)
    expect(whoami.body.user.email).toBe(address)
    expect(whoami.body.key.id).toBe(res.body.key.id)
    expect(whoami.body.scope).toMatchObject({ ops: null, orgs: null, attenuated: false })
    expect((await t.store.audit.list(res.body.user.id)).events.map((e) => e.event)).toEqual(['created'])
  })

  it('refuses a taken email (any case) with 409 conflict and bad input with 400', async () => {
    const address = email()
    await register(t.app, address)
    expectProblem(
      await request(t.app).post('/v1/users').send({ email: address.toUpperCase(), password: PASSWORD }),
      409,
      'conflict',
    )
    const bad = await request(t.app).post('/v1/users').send({ email: 'not-an-email', password: 'short' })
    const p = expectProblem(bad, 400, 'validation_failed')
    expect(p.errors?.map((e) => e.path).sort()).toEqual(['email', 'password'])
    expectProblem(await request(t.app).post('/v1/users'), 400, 'validation_failed')
  })

  it('rate-limits registrations per IP', async () => {
    t.restart(() => testService({ config: { registerLimit: 2 } }))
    await register(t.app)
    await register(t.app)
    const res = await request(t.app).post('/v1/users').send({ email: email(), password: PASSWORD })
    expectProblem(res, 429, 'rate_limited')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
  })
})

describe('POST /v1/auth/login', () => {
  it('mints `CLI login on <device>` (source cli-login) and audits login', async () => {
    const u = await register(t.app)
    const res = await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: PASSWORD, device: 'laptop-7' })
      .expect(201)
    expect(res.body.key).toMatchObject({
      name: 'CLI login on laptop-7',
      source: 'cli-login',
      status: 'active',
    })
    const events = (await t.store.audit.list(u.userId, { keyId: res.body.key.id })).events.map((e) => e.event)
    expect(events.sort()).toEqual(['created', 'login'])
    await api(t.app, res.body.token).get('/v1/whoami').expect(200)
  })

  it('a second login on the same device leaves 1 active + 1 replaced key', async () => {
    const u = await register(t.app)
    const first = await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: PASSWORD, device: 'laptop' })
      .expect(201)
    const second = await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: PASSWORD, device: 'laptop' })
      .expect(201)
    await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: PASSWORD, device: 'desktop' })
      .expect(201)
    const all = await api(t.app, second.body.token).get('/v1/tokens?include_revoked=true').expect(200)
    const laptop = all.body.keys.filter((k: { name: string }) => k.name === 'CLI login on laptop')
    expect(laptop.map((k: { id: string; status: string }) => [k.id, k.status])).toEqual([
      [second.body.key.id, 'active'],
      [first.body.key.id, 'revoked'],
    ])
    expect((await t.store.keys.get(first.body.key.id))?.revokedReason).toBe('replaced')
    expect((await t.store.keys.get(first.body.key.id))?.replacedBy).toBe(second.body.key.id)
    const replaced = (await t.store.audit.list(u.userId)).events.filter((e) => e.event === 'replaced')
    expect(replaced).toHaveLength(1)
    expect(replaced[0]?.keyId).toBe(first.body.key.id)
    expectProblem(await api(t.app, first.body.token).get('/v1/whoami'), 401, 'token_revoked')
    expect(await t.store.revocations.has(first.body.key.id)).toBe(true)
  })

  it('refuses a wrong password or unknown email with 401 unauthorized', async () => {
    const u = await register(t.app)
    expectProblem(
      await request(t.app)
        .post('/v1/auth/login')
        .send({ email: u.email, password: 'wrong password', device: 'x' }),
      401,
      'unauthorized',
    )
    expectProblem(
      await request(t.app).post('/v1/auth/login').send({ email: email(), password: PASSWORD, device: 'x' }),
      401,
      'unauthorized',
    )
    expectProblem(
      await request(t.app).post('/v1/auth/login').send({ email: u.email, password: PASSWORD }),
      400,
      'validation_failed',
    )
  })

  it('locks out after repeated failures per email (429 with Retry-After), then lets the window pass', async () => {
    t.restart(() => testService({ config: { loginLimit: 3, loginWindowMs: 15 * 60_000 } }))
    const u = await register(t.app)
    for (let i = 0; i < 3; i++) {
      await request(t.app)
        .post('/v1/auth/login')
        .send({ email: u.email, password: 'nope nope', device: 'x' })
        .expect(401)
    }
    const locked = await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: PASSWORD, device: 'x' })
    expectProblem(locked, 429, 'rate_limited')
    expect(Number(locked.headers['retry-after'])).toBe(15 * 60)
    t.clock.advance(15 * 60_000 + 1)
    await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: PASSWORD, device: 'x' })
      .expect(201)
  })

  it('locks out an IP trying many emails', async () => {
    t.restart(() => testService({ config: { loginLimit: 3 } }))
    for (let i = 0; i < 3; i++) {
      await request(t.app)
        .post('/v1/auth/login')
        .send({ email: email(), password: 'nope nope', device: 'x' })
        .expect(401)
    }
    expectProblem(
      await request(t.app)
        .post('/v1/auth/login')
        .send({ email: email(), password: 'nope nope', device: 'x' }),
      429,
      'rate_limited',
    )
  })
})
