import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { generateKeyRing, mintRootToken } from '../../src/token/index.js'
import { api, bearer, createKey, DAY, expectProblem, register, useTestService } from './helpers.js'

const t = useTestService()

describe('authentication', () => {
  it('401 invalid_token with WWW-Authenticate for no token, garbage, a bad scheme, another ring', async () => {
    expectProblem(await request(t.app).get('/v1/whoami'), 401, 'invalid_token')
    expectProblem(
      await request(t.app).get('/v1/whoami').set('Authorization', 'Bearer crumb_garbage!!'),
      401,
      'invalid_token',
    )
    expectProblem(
      await request(t.app).get('/v1/whoami').set('Authorization', 'Basic dXNlcjpwYXNz'),
      401,
      'invalid_token',
    )
    const foreign = mintRootToken({
      ring: generateKeyRing(),
      userId: 'usr_x',
      caveats: ['expires = 2099-01-01T00:00:00Z'],
    })
    expectProblem(await api(t.app, foreign.token).get('/v1/whoami'), 401, 'invalid_token')
  })

  it('a validly signed token whose key row does not exist is refused', async () => {
    const u = await register(t.app)
    const ghost = mintRootToken({
      ring: t.ring,
      userId: u.userId,
      caveats: ['expires = 2099-01-01T00:00:00Z'],
    })
    expectProblem(await api(t.app, ghost.token).get('/v1/whoami'), 401, 'invalid_token')
  })

  it('accepts X-API-Key and a Bearer token with trailing whitespace', async () => {
    const u = await register(t.app)
    await request(t.app).get('/v1/whoami').set('X-API-Key', u.token).expect(200)
    await request(t.app).get('/v1/whoami').set('Authorization', `bearer ${u.token}  `).expect(200)
  })

  it('an expired key answers token_expired (not revoked, not deleted)', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'short', expires_in: '1h' })
    t.clock.advance(2 * 3_600_000)
    expectProblem(await api(t.app, k.token).get('/v1/whoami'), 401, 'token_expired')
    expect((await t.store.keys.get(k.key.id, t.clock.now()))?.status).toBe('expired')
  })

  it('records last use (time, IP, user agent) in batches', async () => {
    const u = await register(t.app)
    await api(t.app, u.token).get('/v1/whoami').set('User-Agent', 'crumb-cli/1.0').expect(200)
    expect((await t.store.keys.get(u.keyId))?.lastUsedAt).toBeNull()
    expect(await t.app.service.usage.flush()).toBe(1)
    const key = await t.store.keys.get(u.keyId)
    expect(key?.lastUsedAt).toBe(t.clock.now().toISOString())
    expect(key?.lastUsedIp).toMatch(/127\.0\.0\.1/)
    expect(key?.lastUsedUserAgent).toBe('crumb-cli/1.0')
  })

  it('keeps verifying tokens minted under an older kid after the ring rotates', async () => {
    const { rotateKeyRing } = await import('../../src/token/index.js')
    const u = await register(t.app)
    const { createApp } = await import('../../src/server/app.js')
    const app2 = createApp({
      store: t.store,
      ring: rotateKeyRing(t.ring),
      config: t.config,
      logger: t.app.service.logger,
      clock: t.clock,
    })
    await request(app2)
      .get('/v1/whoami')
      .set(...bearer(u.token))
      .expect(200)
    app2.service.close()
    expect(DAY).toBeGreaterThan(0)
  })
})
