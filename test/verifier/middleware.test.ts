import express from 'express'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { decodeToken } from '../../src/token/format.js'
import { revocationIdOf } from '../../src/token/index.js'
import * as crumb from '../../src/verifier/index.js'
import { FakeTokenService } from './fake-service.js'
import { attenuate, eventually, FAR_FUTURE, memoryLogger, mintFixture } from './helpers.js'

const SERVICE_TOKEN = 'crumb_fake_service_token'

function appWith(auth: crumb.Verifier): express.Express {
  const app = express()
  app.use(auth)
  app.get(
    '/orgs/:org/apps/:app',
    crumb.require({ op: 'read', org: (r) => String(r.params.org), app: (r) => String(r.params.app) }),
    (req, res) => {
      res.json(req.crumb)
    },
  )
  app.get('/whoami', (req, res) => {
    res.json({ user: crumb.crumbOf(req).userId })
  })
  return app
}

describe('verifier middleware (local mode, fake feed)', () => {
  const fx = mintFixture()
  let service: FakeTokenService
  const open: crumb.Verifier[] = []
  const make = (options: Partial<crumb.VerifierOptions> = {}): crumb.Verifier => {
    const v = crumb.verifier({
      keys: fx.ring,
      server: service.url,
      serviceToken: SERVICE_TOKEN,
      logger: memoryLogger(),
      ...options,
    })
    open.push(v)
    return v
  }

  beforeEach(async () => {
    service = await new FakeTokenService(fx.ring, SERVICE_TOKEN).start()
  })
  afterEach(async () => {
    await Promise.all(open.splice(0).map((v) => v.close()))
    await service.stop()
  })

  it('sets a typed req.crumb for a valid token', async () => {
    const auth = make()
    await auth.ready()
    const ci = attenuate(fx.token, ['org = acme', 'app = web', 'ops = read,deploy'])
    const res = await request(appWith(auth)).get('/orgs/acme/apps/web').set('Authorization', `Bearer ${ci}`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      tokenId: fx.tokenId,
      ops: ['read', 'deploy'],
      orgs: ['acme'],
      apps: ['web'],
      expiresAt: '2099-01-01T00:00:00.000Z',
    })
    expect(res.body.userId).toMatch(/^usr_/)
    expect(res.body.caveats).toHaveLength(4)
    expect(Object.keys(res.body).sort()).toEqual(
      ['apps', 'caveats', 'expiresAt', 'ops', 'orgs', 'tokenId', 'userId'].sort(),
    )
  })

  it('answers 401 problem+json with WWW-Authenticate, never echoing the token', async () => {
    const auth = make()
    await auth.ready()
    const app = appWith(auth)
    const missing = await request(app).get('/whoami')
    expect(missing.status).toBe(401)
    expect(missing.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(missing.body).toMatchObject({
      status: 401,
      code: 'invalid_token',
      type: 'urn:crumb:problem:invalid_token',
    })

    const forged = `${fx.token.slice(0, -4)}AAAA`
    const bad = await request(app).get('/whoami').set('X-API-Key', forged)
    expect(bad.status).toBe(401)
    expect(bad.body.code).toBe('invalid_token')
    expect(JSON.stringify(bad.body)).not.toContain(forged.slice(6, 30))

    const garbage = await request(app).get('/whoami').set('Authorization', 'Bearer crumb_!!!notatoken')
    expect(garbage.status).toBe(401)
    expect(garbage.text).not.toContain('notatoken')
  })

  it('checks device (Crumb-Device), ip and time caveats in the middleware', async () => {
    const auth = make()
    await auth.ready()
    const app = appWith(auth)
    const onLaptop = attenuate(fx.token, ['device = laptop-7'])
    expect(
      (await request(app).get('/whoami').set('X-API-Key', onLaptop).set('Crumb-Device', 'laptop-7')).status,
    ).toBe(200)
    const wrongDevice = await request(app)
      .get('/whoami')
      .set('X-API-Key', onLaptop)
      .set('Crumb-Device', 'ci-1')
    expect(wrongDevice.status).toBe(403)
    expect(wrongDevice.body.code).toBe('caveat_failed')
    expect(wrongDevice.body.detail).toContain('device = laptop-7')
    expect((await request(app).get('/whoami').set('X-API-Key', onLaptop)).body.code).toBe('caveat_failed')

    const loopback = attenuate(fx.token, ['ip = 127.0.0.0/8'])
    expect((await request(app).get('/whoami').set('X-API-Key', loopback)).status).toBe(200)
    const elsewhere = await request(app)
      .get('/whoami')
      .set('X-API-Key', attenuate(fx.token, ['ip = 10.0.0.0/8']))
    expect(elsewhere.status).toBe(403)
    expect(elsewhere.body.detail).toContain('ip = 10.0.0.0/8')

    const expired = attenuate(fx.token, ['expires = 2020-01-01T00:00:00Z'])
    const late = await request(app).get('/whoami').set('X-API-Key', expired)
    expect(late.status).toBe(401)
    expect(late.body.code).toBe('token_expired')
    const early = await request(app)
      .get('/whoami')
      .set('X-API-Key', attenuate(fx.token, [`not-before = ${FAR_FUTURE}`]))
    expect(early.body.code).toBe('token_expired')
  })

  it('refuses a revoked token on the next request after the feed delivers; siblings still work', async () => {
    const auth = make()
    await auth.ready()
    const app = appWith(auth)
    const a = attenuate(fx.token, ['ops = read'])
    const b = attenuate(fx.token, ['ops = read,write'])
    const aChild = attenuate(a, ['org = acme'])
    for (const t of [a, b, aChild])
      expect((await request(app).get('/whoami').set('X-API-Key', t)).status).toBe(200)
    service.revoke({
      token_id: fx.tokenId,
      revocation_id: revocationIdOf(decodeToken(a).signature),
      expires_at: FAR_FUTURE,
    })
    await eventually(() => auth.status().revocations === 1, 2_000)
    expect((await request(app).get('/whoami').set('X-API-Key', a)).body.code).toBe('token_revoked')
    expect((await request(app).get('/whoami').set('X-API-Key', aChild)).body.code).toBe('token_revoked')
    expect((await request(app).get('/whoami').set('X-API-Key', b)).status).toBe(200)
    expect((await request(app).get('/whoami').set('X-API-Key', fx.token)).status).toBe(200)

    service.revoke({ token_id: fx.tokenId, expires_at: FAR_FUTURE })
    await eventually(
      async () => (await request(app).get('/whoami').set('X-API-Key', b)).body.code === 'token_revoked',
      2_000,
    )
    expect((await request(app).get('/whoami').set('X-API-Key', fx.token)).body.code).toBe('token_revoked')
  })

  it('starts from a full snapshot, resumes from the cursor with long-polls, and handles reset', async () => {
    service.revoke({ token_id: fx.tokenId, expires_at: FAR_FUTURE })
    const auth = make()
    await auth.ready()
    expect(auth.status().revocations).toBe(1)
    expect(service.feedCalls[0]).not.toContain('since=')
    service.revoke({ token_id: 'tok_AAAAAAAAAAAAAAAAAAAAAA', expires_at: FAR_FUTURE })
    await eventually(() => auth.status().revocations === 2, 2_000)
    expect(service.feedCalls.some((q) => q.includes('since=1') && /wait=[1-9]/.test(q))).toBe(true)
    // The service forgets the first entry (say, its data was restored) and tells the verifier to reset.
    service.entries.splice(0, 1)
    service.resetNext = true
    service.revoke({ token_id: 'tok_BBBBBBBBBBBBBBBBBBBBBB', expires_at: FAR_FUTURE })
    await eventually(() => auth.status().revocations === 2 && service.feedCalls.length > 3, 2_000)
    const res = await request(appWith(auth)).get('/whoami').set('X-API-Key', fx.token)
    expect(res.status).toBe(200)
  })

  it('runs one feed loop per process for verifiers sharing a feed', async () => {
    const a = make()
    const b = make()
    await Promise.all([a.ready(), b.ready()])
    await new Promise((resolve) => setTimeout(resolve, 100))
    const snapshots = service.feedCalls.filter((q) => !q.includes('since='))
    expect(snapshots).toHaveLength(1)
    await a.close()
    service.revoke({ token_id: fx.tokenId, expires_at: FAR_FUTURE })
    await eventually(() => b.status().revocations === 1, 2_000)
  })

  it('fails closed with 503 revocation_list_stale past maxStaleness, and recovers', async () => {
    const logger = memoryLogger()
    const auth = make({ maxStaleness: '1s', logger })
    await auth.ready()
    const app = appWith(auth)
    expect((await request(app).get('/whoami').set('X-API-Key', fx.token)).status).toBe(200)
    service.failWith = 500
    await eventually(() => auth.status().stale, 4_000)
    const res = await request(app).get('/whoami').set('X-API-Key', fx.token)
    expect(res.status).toBe(503)
    expect(res.body.code).toBe('revocation_list_stale')
    service.failWith = undefined
    await eventually(() => !auth.status().stale, 4_000)
    expect((await request(app).get('/whoami').set('X-API-Key', fx.token)).status).toBe(200)
    expect(logger.lines.join('\n')).not.toContain(fx.token)
    expect(logger.lines.join('\n')).not.toContain(SERVICE_TOKEN)
  })

  it('lets requests through on a stale list only with failOpen: true', async () => {
    const auth = make({ maxStaleness: '1s', failOpen: true })
    await auth.ready()
    service.failWith = 503
    await eventually(() => auth.status().stale, 4_000)
    expect((await request(appWith(auth)).get('/whoami').set('X-API-Key', fx.token)).status).toBe(200)
  })

  it('holds requests until the first snapshot, then 503 if it never comes', async () => {
    service.failWith = 500
    const auth = make({ maxStaleness: '1s' })
    const started = Date.now()
    const res = await request(appWith(auth)).get('/whoami').set('X-API-Key', fx.token)
    expect(res.status).toBe(503)
    expect(res.body.code).toBe('revocation_list_stale')
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    service.failWith = undefined
    await auth.ready()
    expect((await request(appWith(auth)).get('/whoami').set('X-API-Key', fx.token)).status).toBe(200)
  })

  it('checks ip caveats against req.ip: X-Forwarded-For counts only where trust proxy says so', async () => {
    const auth = make()
    await auth.ready()
    const office = attenuate(fx.token, ['ip = 203.0.113.0/24'])
    const direct = appWith(auth)
    const proxied = appWith(auth).set('trust proxy', 'loopback')
    const call = (app: express.Express, forwardedFor?: string) => {
      const r = request(app).get('/whoami').set('X-API-Key', office)
      return forwardedFor === undefined ? r : r.set('X-Forwarded-For', forwardedFor)
    }
    // Behind a trusted proxy the client is the forwarded address, on every request (the same
    // token is remembered after the first one, and must still be judged per request).
    expect((await call(proxied, '203.0.113.7')).status).toBe(200)
    expect((await call(proxied, '198.51.100.1')).status).toBe(403)
    expect((await call(proxied, '203.0.113.8')).status).toBe(200)
    // Without the header the client is the socket's address (loopback here), proxy or not.
    expect((await call(proxied)).status).toBe(403)
    // A forged header is ignored when no proxy is trusted.
    expect((await call(direct, '203.0.113.7')).status).toBe(403)
    expect((await call(direct)).status).toBe(403)
  })

  it('uses req.ip as the app defines it (a proxy that passes the client another way)', async () => {
    const auth = make()
    await auth.ready()
    const app = express()
    // e.g. behind a CDN that sends the client in its own header: the app redefines req.ip.
    app.use((req, _res, next) => {
      Object.defineProperty(req, 'ip', { value: req.get('x-client-ip') ?? '192.0.2.1' })
      next()
    })
    app.use(auth)
    app.get('/whoami', (req, res) => {
      res.json({ user: crumb.crumbOf(req).userId })
    })
    const office = attenuate(fx.token, ['ip = 203.0.113.0/24'])
    const call = (clientIp: string) =>
      request(app).get('/whoami').set('X-API-Key', office).set('X-Client-IP', clientIp)
    expect((await call('203.0.113.9')).status).toBe(200)
    // The socket is loopback and there is no X-Forwarded-For: still judged on req.ip.
    expect((await call('198.51.100.4')).status).toBe(403)
  })

  it('reports last use per token id, coalesced, with IP and user agent', async () => {
    const auth = make({ usage: { interval: 100, resolution: 0 } })
    await auth.ready()
    const app = appWith(auth)
    for (let i = 0; i < 5; i++) {
      await request(app).get('/whoami').set('X-API-Key', fx.token).set('User-Agent', `ci/${i}`)
    }
    await eventually(() => service.usage.length > 0, 2_000)
    await auth.close()
    expect(service.usage).toHaveLength(1)
    expect(service.usage[0]).toMatchObject({ token_id: fx.tokenId, ip: '127.0.0.1', user_agent: 'ci/4' })
  })

  it('records a busy token at most once per usage.resolution, then the next use after it', async () => {
    const auth = make({ usage: { interval: '1h', resolution: 500 } })
    await auth.ready()
    const app = appWith(auth)
    const use = (agent: string) =>
      request(app).get('/whoami').set('X-API-Key', fx.token).set('User-Agent', agent)
    expect((await use('ci/0')).status).toBe(200)
    expect((await use('ci/1')).status).toBe(200) // within 500 ms of ci/0: not recorded
    await new Promise((r) => setTimeout(r, 600))
    expect((await use('ci/2')).status).toBe(200) // past the resolution: replaces ci/0
    expect((await use('ci/3')).status).toBe(200) // within 500 ms of ci/2: not recorded
    await auth.close()
    expect(service.usage).toHaveLength(1)
    expect(service.usage[0]).toMatchObject({ token_id: fx.tokenId, ip: '127.0.0.1', user_agent: 'ci/2' })
  })

  it('with credentialsRequired: false lets anonymous requests reach require(), which refuses them', async () => {
    const auth = make({ credentialsRequired: false })
    await auth.ready()
    const app = appWith(auth)
    const res = await request(app).get('/orgs/acme/apps/web')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
  })
})
