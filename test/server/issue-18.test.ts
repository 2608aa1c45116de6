/**
 * Server-side items of #18 (what a new user trips over): each test cites its item.
 */
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { runJobs } from '../../src/server/jobs.js'
import {
  api,
  bearer,
  createKey,
  DAY,
  expectProblem,
  HOUR,
  PASSWORD,
  register,
  testService,
  useTestService,
} from './helpers.js'

const t = useTestService({ config: { unusedKeyTtlMs: 30 * DAY } })

describe('#18', () => {
  it('the Key JSON of a rotated key carries grace_ends_at — #18 item 1', async () => {
    const u = await register(t.app)
    const ci = await createKey(t.app, u.token, { name: 'ci' })
    const res = await api(t.app, u.token)
      .post(`/v1/tokens/${ci.key.id}/rotate`)
      .send({ grace: '2h' })
      .expect(201)
    const graceEnd = new Date(t.clock.now().getTime() + 2 * HOUR).toISOString()
    expect(res.body.previous.grace_ends_at).toBe(graceEnd)
    expect(res.body.key.grace_ends_at).toBeNull()
    const list = await api(t.app, u.token).get('/v1/tokens').expect(200)
    const old = list.body.keys.find((k: { id: string }) => k.id === ci.key.id)
    expect(old).toMatchObject({ status: 'active', grace_ends_at: graceEnd })
  })

  it('the hint is the last four characters of the token as issued — #18 item 3', async () => {
    const u = await register(t.app)
    const ci = await createKey(t.app, u.token, { name: 'ci' })
    expect(ci.key.hint).toBe(`crumb_…${ci.token.slice(-4)}`)
    const res = await request(t.app).post('/v1/users').send({ email: 'hint@example.com', password: PASSWORD })
    expect(res.body.key.hint).toBe(`crumb_…${res.body.token.slice(-4)}`)
  })

  it('registration with a device names the key as a login on it, so the next login replaces it — #18 item 4', async () => {
    const res = await request(t.app)
      .post('/v1/users')
      .send({ email: 'dev@example.com', password: PASSWORD, device: 'vm' })
      .expect(201)
    expect(res.body.key).toMatchObject({ name: 'CLI login on vm', source: 'register' })
    const login = await request(t.app)
      .post('/v1/auth/login')
      .send({ email: 'dev@example.com', password: PASSWORD, device: 'vm' })
      .expect(201)
    const keys = await api(t.app, login.body.token).get('/v1/tokens').expect(200)
    expect(keys.body.keys.map((k: { name: string }) => k.name)).toEqual(['CLI login on vm'])
    // a plain registration still works, and keeps the old name
    const plain = await register(t.app)
    const mine = await api(t.app, plain.token).get('/v1/tokens').expect(200)
    expect(mine.body.keys[0].name).toBe('Registration key')
  })

  it('a key revoked for being unused says so, with the date, in the error and the audit row — #18 item 5', async () => {
    const u = await register(t.app)
    const createdAt = t.clock.now().toISOString()
    t.clock.advance(t.config.unusedKeyTtlMs + DAY)
    await runJobs(t.app.service)
    const problem = expectProblem(await api(t.app, u.token).get('/v1/whoami'), 401, 'token_revoked')
    expect(problem.detail).toContain(`revoked for being unused since ${createdAt.slice(0, 10)}`)
    const row = (await t.store.audit.list(u.userId)).events.find((e) => e.event === 'auto_revoked')
    expect(row?.detail).toMatchObject({ reason: 'unused', unused_since: createdAt })
    expect(String(row?.detail?.message)).toContain(`unused since ${createdAt.slice(0, 10)}`)
  })

  it('revoking an attenuated token is audited as such, a logout as the user logging out — #18 item 9', async () => {
    const u = await register(t.app)
    const second = await createKey(t.app, u.token, { name: 'second' })
    const { attenuate } = await import('../../src/token/index.js')
    const narrowed = attenuate(second.token, ['ops = read'])
    await request(t.app).post('/v1/revocations').send({ token: narrowed }).expect(200)
    await request(t.app).post('/v1/revocations').send({ token: u.token, reason: 'logout' }).expect(200)
    const events = (await t.store.audit.list(u.userId)).events
    const attenuated = events.find((e) => e.keyId === second.key.id && e.event === 'revoked')
    expect(attenuated?.detail).toMatchObject({ attenuated: true, key_still_active: true })
    const logout = events.find((e) => e.keyId === u.keyId && e.event === 'revoked')
    expect(logout).toMatchObject({ actor: u.email })
    expect(logout?.detail).toMatchObject({ reason: 'logout' })
  })

  it('the creation limit says "per hour" — #18 item 11', async () => {
    const limited = testService({ config: { keyCreateLimit: 1 } })
    try {
      const u = await register(limited.app)
      await createKey(limited.app, u.token, { name: 'one' })
      const res = await api(limited.app, u.token).post('/v1/tokens').send({ name: 'two' })
      const problem = expectProblem(res, 429, 'rate_limited')
      expect(problem.detail).toBe('at most 1 keys may be created per hour')
    } finally {
      limited.cleanup()
    }
  })

  it('DELETE /v1/sessions/others needs X-Confirm-Destructive: true — #18 item 12', async () => {
    const u = await register(t.app)
    const s = await request(t.app)
      .post('/v1/sessions')
      .send({ email: u.email, password: PASSWORD })
      .expect(201)
    expectProblem(await api(t.app, u.token).delete('/v1/sessions/others'), 428, 'confirmation_required')
    expect((await t.store.keys.get(s.body.key.id))?.status).toBe('active')
    await request(t.app)
      .delete('/v1/sessions/others')
      .set(...bearer(u.token))
      .set('X-Confirm-Destructive', 'true')
      .expect(200)
    expect((await t.store.keys.get(s.body.key.id))?.status).toBe('revoked')
  })
})
