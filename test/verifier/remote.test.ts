import express from 'express'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDefaultRegistry } from '../../caveats/index.js'
import { decodeToken } from '../../src/token/format.js'
import { revocationIdOf } from '../../src/token/index.js'
import * as crumb from '../../src/verifier/index.js'
import { FakeTokenService } from './fake-service.js'
import { attenuate, eventually, FAR_FUTURE, memoryLogger, mintFixture } from './helpers.js'

const SERVICE_TOKEN = 'crumb_fake_service_token'
const DEFERRED = new Set(['org', 'app', 'op'] as const)

describe('remote verification (fake token service)', () => {
  const fx = mintFixture()
  let service: FakeTokenService
  let sync: crumb.RevocationSync
  let remote: crumb.RemoteVerifier
  const make = (cache = { ttlMs: 60_000, max: 100 }): crumb.RemoteVerifier =>
    new crumb.RemoteVerifier({
      url: `${service.url}/v1/verify`,
      serviceToken: SERVICE_TOKEN,
      sync,
      registry: createDefaultRegistry(),
      deferred: DEFERRED,
      leewayMs: 0,
      cache,
      timeoutMs: 2_000,
      fetch: (input, init) => fetch(input, init),
    })

  beforeEach(async () => {
    service = await new FakeTokenService(fx.ring, SERVICE_TOKEN).start()
    sync = new crumb.RevocationSync({
      url: `${service.url}/v1/revocations`,
      token: SERVICE_TOKEN,
      waitSeconds: 1,
    })
    sync.start()
    await sync.ready()
    remote = make()
  })
  afterEach(async () => {
    remote.close()
    await sync.stop()
    await service.stop()
  })

  it('asks POST /v1/verify once, then answers from the cache', async () => {
    const ci = attenuate(fx.token, ['org = acme', 'ops = deploy'])
    const claims = await remote.verify(ci, { ip: '127.0.0.1' })
    expect(claims).toMatchObject({ tokenId: fx.tokenId, orgs: ['acme'], ops: ['deploy'] })
    expect(service.verifyCalls).toEqual([
      { token: ci, request: { ip: '127.0.0.1' }, deferred: ['org', 'app', 'op'] },
    ])
    await remote.verify(ci, { ip: '127.0.0.1' })
    await remote.verify(ci, { ip: '127.0.0.2', device: 'd1' })
    expect(service.verifyCalls).toHaveLength(1)
    expect(remote.size).toBe(1)
  })

  it('re-checks ip, device and time caveats on every cache hit', async () => {
    const t = attenuate(fx.token, ['ip = 10.0.0.0/8', 'device = ci-1'])
    await remote.verify(t, { ip: '10.1.2.3', device: 'ci-1' })
    await expect(remote.verify(t, { ip: '192.168.1.1', device: 'ci-1' })).rejects.toMatchObject({
      code: 'caveat_failed',
    })
    await expect(remote.verify(t, { ip: '10.1.2.3' })).rejects.toMatchObject({ code: 'caveat_failed' })
    const early = attenuate(fx.token, [`not-before = ${new Date(Date.now() - 1_000).toISOString()}`])
    await remote.verify(early, {})
    await expect(remote.verify(early, {}, new Date(Date.now() - 60_000))).rejects.toMatchObject({
      code: 'token_expired',
    })
    expect(service.verifyCalls).toHaveLength(2)
    // A cached answer never outlives the token: past its expiry the service is asked again.
    const short = attenuate(fx.token, [`expires = ${new Date(Date.now() + 60_000).toISOString()}`])
    await remote.verify(short, {})
    await remote.verify(short, {})
    expect(service.verifyCalls).toHaveLength(3)
    await remote.verify(short, {}, new Date(Date.now() + 120_000)).catch(() => undefined)
    expect(service.verifyCalls).toHaveLength(4)
  })

  it("passes the service's refusal through, and caches no refusal", async () => {
    const t = attenuate(fx.token, ['ip = 10.0.0.0/8'])
    await expect(remote.verify(t, { ip: '127.0.0.1' })).rejects.toMatchObject({
      code: 'caveat_failed',
      status: 403,
    })
    await expect(remote.verify(t, { ip: '127.0.0.1' })).rejects.toMatchObject({ code: 'caveat_failed' })
    expect(service.verifyCalls).toHaveLength(2)
    expect(remote.size).toBe(0)
  })

  it('drops cached answers the moment the feed reports a revocation for their token id', async () => {
    const a = attenuate(fx.token, ['ops = read'])
    const b = attenuate(fx.token, ['ops = write'])
    await remote.verify(a, {})
    await remote.verify(b, {})
    expect(remote.size).toBe(2)
    service.revoke({
      token_id: fx.tokenId,
      revocation_id: revocationIdOf(decodeToken(a).signature),
      expires_at: FAR_FUTURE,
    })
    await eventually(() => remote.size === 0, 2_000)
    await expect(remote.verify(a, {})).rejects.toMatchObject({ code: 'token_revoked' })
    await remote.verify(b, {})
    service.revoke({ token_id: fx.tokenId, expires_at: FAR_FUTURE })
    await eventually(() => sync.list.isTokenRevoked(fx.tokenId), 2_000)
    await expect(remote.verify(b, {})).rejects.toMatchObject({ code: 'token_revoked' })
  })

  // #15 item 4
  it('a whole-token entry with effective_at applies from then; an unreadable one at once (fail closed)', async () => {
    const from = Date.now() + 3_600_000
    service.revoke({
      token_id: 'tok_later',
      expires_at: FAR_FUTURE,
      effective_at: new Date(from).toISOString(),
    })
    service.revoke({ token_id: 'tok_garbled', expires_at: FAR_FUTURE, effective_at: 'next tuesday' })
    await eventually(() => sync.list.size === 2, 2_000)
    expect(sync.list.isTokenRevoked('tok_later', new Date(from - 1))).toBe(false)
    expect(sync.list.isTokenRevoked('tok_later', new Date(from))).toBe(true)
    expect(sync.list.isTokenRevoked('tok_garbled', new Date(0))).toBe(true)
  })

  it('bounds the cache and honours its TTL', async () => {
    remote.close()
    remote = make({ ttlMs: 50, max: 2 })
    const tokens = ['ops = a', 'ops = b', 'ops = c'].map((c) => attenuate(fx.token, [c]))
    for (const t of tokens) await remote.verify(t, {})
    expect(remote.size).toBe(2)
    await new Promise((resolve) => setTimeout(resolve, 80))
    await remote.verify(tokens[2] ?? '', {})
    expect(service.verifyCalls).toHaveLength(4)
  })

  it('refuses garbage locally, and answers 503 when the service is unreachable', async () => {
    await expect(remote.verify('crumb_garbage', {})).rejects.toMatchObject({ code: 'invalid_token' })
    expect(service.verifyCalls).toHaveLength(0)
    service.failWith = 502
    await expect(remote.verify(fx.token, {})).rejects.toMatchObject({
      code: 'revocation_list_stale',
      status: 503,
    })
  })

  it('drives the middleware in remote mode', async () => {
    const auth = crumb.verifier({
      mode: 'remote',
      server: service.url,
      serviceToken: SERVICE_TOKEN,
      logger: memoryLogger(),
    })
    await auth.ready()
    const app = express()
    app.use(auth)
    app.get('/orgs/:org', crumb.require({ op: 'read', org: (req) => String(req.params.org) }), (req, res) => {
      res.json(req.crumb)
    })
    const ro = attenuate(fx.token, ['org = acme', 'ops = read'])
    const ok = await request(app).get('/orgs/acme').set('Authorization', `Bearer ${ro}`)
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ tokenId: fx.tokenId, orgs: ['acme'], ops: ['read'] })
    const other = await request(app).get('/orgs/beta').set('Authorization', `Bearer ${ro}`)
    expect(other.body.code).toBe('insufficient_scope')
    expect(service.verifyCalls).toHaveLength(1)
    await auth.close()
  })
})
