import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { normalizeUserCode } from '../../src/server/routes/auth-device.js'
import { hashDeviceCode } from '../../src/store/index.js'
import { attenuate } from '../../src/token/index.js'
import { api, expectProblem, PASSWORD, register, useTestService } from './helpers.js'

const t = useTestService({ config: { publicUrl: 'https://crumb.example' } })

async function start(device = 'laptop') {
  const res = await request(t.app).post('/v1/auth/device').send({ device }).expect(200)
  return res.body as {
    device_code: string
    user_code: string
    verification_uri: string
    verification_uri_complete: string
    expires_in: number
    interval: number
  }
}
const poll = (code: string) => request(t.app).post('/v1/auth/device/token').send({ device_code: code })

/** Approves or denies the request with `userCode` as the holder of `token`. */
const decide = (token: string, userCode: string, approve: boolean) =>
  api(t.app, token).post('/v1/auth/device/approve').send({ user_code: userCode, approve })

describe('device authorization grant (RFC 8628)', () => {
  it('issues codes: random device code (only its hash stored), WDJB-MJHT style user code', async () => {
    const d = await start()
    expect(d.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    expect(d.device_code.length).toBeGreaterThanOrEqual(43)
    expect(d.verification_uri).toBe('https://crumb.example/device')
    expect(d.verification_uri_complete).toBe(`https://crumb.example/device?user_code=${d.user_code}`)
    expect(d.expires_in).toBe(600)
    expect(d.interval).toBe(5)
    const rows = JSON.stringify(await t.rawQuery('SELECT * FROM device_codes'))
    expect(rows).not.toContain(d.device_code)
    expect(rows).toContain(hashDeviceCode(d.device_code))
    expect(normalizeUserCode(d.user_code.toLowerCase().replace('-', ' '))).toBe(d.user_code)
  })

  it('pending → slow_down → approve → token once → expired_token', async () => {
    const u = await register(t.app)
    const d = await start('laptop')
    expectProblem(await poll(d.device_code), 400, 'authorization_pending')
    t.clock.advance(2000)
    expectProblem(await poll(d.device_code), 400, 'slow_down')
    t.clock.advance(6000)
    // the interval went up by 5: 6 s is now too fast
    expectProblem(await poll(d.device_code), 400, 'slow_down')
    t.clock.advance(16_000)
    expectProblem(await poll(d.device_code), 400, 'authorization_pending')

    const lookup = await api(t.app, u.token)
      .get(`/v1/auth/device?user_code=${d.user_code.toLowerCase()}`)
      .expect(200)
    expect(lookup.body.request).toMatchObject({ device: 'laptop', status: 'pending' })
    expectProblem(
      await request(t.app).post('/v1/auth/device/approve').send({ user_code: d.user_code, approve: true }),
      401,
      'invalid_token',
    )
    expectProblem(
      await decide(attenuate(u.token, ['ops = read']), d.user_code, true),
      403,
      'insufficient_scope',
    )
    const approved = await decide(u.token, d.user_code, true).expect(200)
    expect(approved.body.request.status).toBe('approved')

    t.clock.advance(20_000)
    const got = await poll(d.device_code).expect(200)
    expect(got.body.key).toMatchObject({ name: 'CLI login on laptop', source: 'cli-login', status: 'active' })
    await api(t.app, got.body.token).get('/v1/whoami').expect(200)
    t.clock.advance(20_000)
    expectProblem(await poll(d.device_code), 400, 'expired_token')
    expect(
      (await t.store.audit.list(u.userId, { keyId: got.body.key.id })).events.map((e) => e.event).sort(),
    ).toEqual(['created', 'login'])
  })

  it('a device login replaces the earlier key of the same device', async () => {
    const u = await register(t.app)
    const pw = await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: PASSWORD, device: 'laptop' })
      .expect(201)
    const d = await start('laptop')
    await decide(u.token, d.user_code, true).expect(200)
    const got = await poll(d.device_code).expect(200)
    expect((await t.store.keys.get(pw.body.key.id))?.status).toBe('revoked')
    expect((await t.store.keys.get(got.body.key.id))?.status).toBe('active')
  })

  it('denied → access_denied; expired → expired_token; unknown → expired_token; bad user code → 404', async () => {
    const u = await register(t.app)
    const d = await start()
    await decide(u.token, d.user_code, false).expect(200)
    expectProblem(await poll(d.device_code), 400, 'access_denied')
    expectProblem(await decide(u.token, d.user_code, true), 404, 'not_found')
    const e = await start()
    t.clock.advance(601_000)
    expectProblem(await poll(e.device_code), 400, 'expired_token')
    expectProblem(await decide(u.token, e.user_code, true), 404, 'not_found')
    expectProblem(await poll('nonsense'), 400, 'expired_token')
    expectProblem(await request(t.app).post('/v1/auth/device').send({}), 400, 'validation_failed')
    expectProblem(await request(t.app).post('/v1/auth/device/token').send({}), 400, 'validation_failed')
  })
})
