import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { attenuate, usageTicket } from '../../src/token/index.js'
import { api, createKey, expectProblem, register, useTestService } from './helpers.js'

const t = useTestService()

describe('POST /v1/verify', () => {
  it('returns claims for a valid token and request context', async () => {
    const u = await register(t.app)
    const ci = await createKey(t.app, u.token, { name: 'ci', caveats: ['org = acme', 'ops = deploy,read'] })
    const res = await api(t.app, u.token)
      .post('/v1/verify')
      .send({
        token: attenuate(ci.token, ['app = web']),
        request: { org: 'acme', app: 'web', op: 'deploy', device: 'runner-1' },
      })
      .expect(200)
    expect(res.body).toEqual({
      valid: true,
      claims: {
        user_id: u.userId,
        token_id: ci.key.id,
        kid: t.ring.primary,
        device: 'runner-1',
        ops: ['deploy', 'read'],
        orgs: ['acme'],
        apps: ['web'],
        devices: null,
        expires_at: ci.key.expires_at,
        not_before: null,
        caveats: [expect.stringMatching(/^expires = /), 'org = acme', 'ops = deploy,read', 'app = web'],
        revocation_id: expect.any(String),
        usage_ticket: usageTicket(t.ring, t.ring.primary, ci.key.id, t.clock.now()),
      },
    })
  })

  it('answers the problem a local verifier would raise', async () => {
    const u = await register(t.app)
    const ci = await createKey(t.app, u.token, { name: 'ci', caveats: ['org = acme', 'ops = deploy'] })
    const call = (req: Record<string, string>, token = ci.token) =>
      api(t.app, u.token).post('/v1/verify').send({ token, request: req })
    expectProblem(await call({ org: 'beta', op: 'deploy' }), 403, 'insufficient_scope')
    expectProblem(await call({ op: 'deploy' }), 403, 'caveat_failed')
    expectProblem(await call({ org: 'acme', op: 'read' }), 403, 'insufficient_scope')
    expectProblem(await call({ org: 'acme', op: 'deploy' }, 'crumb_xyz'), 401, 'invalid_token')
    await request(t.app).post('/v1/revocations').send({ token: ci.token }).expect(200)
    expectProblem(await call({ org: 'acme', op: 'deploy' }), 401, 'token_revoked')
    // deferred dimensions are left to the caller, scope returned
    const u2 = await createKey(t.app, u.token, { name: 'ci2', caveats: ['org = acme'] })
    const deferred = await api(t.app, u.token)
      .post('/v1/verify')
      .send({ token: u2.token, request: {}, deferred: ['org', 'app', 'op'] })
      .expect(200)
    expect(deferred.body.claims.orgs).toEqual(['acme'])
  })

  it("checks aud caveats against the calling service's request.aud, refusing them without one (#19)", async () => {
    const u = await register(t.app)
    const ci = await createKey(t.app, u.token, { name: 'ci' })
    const scoped = attenuate(ci.token, ['aud = https://deploy.example'])
    const call = (req: Record<string, string>) =>
      api(t.app, u.token).post('/v1/verify').send({ token: scoped, request: req })
    await call({ aud: 'https://deploy.example' }).expect(200)
    await call({ aud: 'HTTPS://deploy.example/' }).expect(200)
    expectProblem(await call({ aud: 'https://other.example' }), 403, 'caveat_failed')
    expectProblem(await call({}), 403, 'caveat_failed')
    expectProblem(await call({ aud: 'not a uri' }), 400, 'validation_failed')
    // The token service's own API has no audience: a token meant for a resource is refused there.
    expectProblem(await api(t.app, scoped).get('/v1/whoami'), 403, 'caveat_failed')
  })

  it('needs the caller’s own token and a valid body', async () => {
    const u = await register(t.app)
    expectProblem(await request(t.app).post('/v1/verify').send({ token: u.token }), 401, 'invalid_token')
    expectProblem(
      await api(t.app, u.token).post('/v1/verify').send({ request: {} }),
      400,
      'validation_failed',
    )
  })
})

describe('POST /v1/usage', () => {
  it('updates last used (time, IP, user agent), only forward, 202', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'k' })
    const at = new Date(t.clock.now().getTime() - 60_000).toISOString()
    const res = await api(t.app, u.token)
      .post('/v1/usage')
      .send({ reports: [{ token_id: k.key.id, at, ip: '203.0.113.7', user_agent: 'deploy-cli/2' }] })
      .expect(202)
    expect(res.body).toEqual({ accepted: 1, updated: 1 })
    const list = await api(t.app, u.token).get('/v1/tokens').expect(200)
    const shown = list.body.keys.find((x: { id: string }) => x.id === k.key.id)
    expect(shown).toMatchObject({
      last_used_at: at,
      last_used_ip: '203.0.113.7',
      last_used_user_agent: 'deploy-cli/2',
    })
    const older = new Date(t.clock.now().getTime() - 3_600_000).toISOString()
    await api(t.app, u.token)
      .post('/v1/usage')
      .send({
        reports: [
          { token_id: k.key.id, at: older, ip: '10.0.0.1' },
          { token_id: 'tok_unknownxxxxxxxxxxxxxx', at },
        ],
      })
      .expect(202)
    expect((await t.store.keys.get(k.key.id))?.lastUsedIp).toBe('203.0.113.7')
    expectProblem(
      await api(t.app, u.token)
        .post('/v1/usage')
        .send({ reports: [{ token_id: k.key.id, at: 'yesterday' }] }),
      400,
      'validation_failed',
    )
  })

  // Review finding (usage forgery): any registered user could set "last used" on anyone's key by
  // its token id, which every holder of a derived token can read. Another user's key now needs
  // the key's usage ticket (from /v1/verify or a local verifier's key ring).
  it('updates another user’s key only with that key’s usage ticket', async () => {
    const owner = await register(t.app)
    const service = await register(t.app)
    const k = await createKey(t.app, owner.token, { name: 'ci' })
    const at = new Date(t.clock.now().getTime() - 60_000).toISOString()
    const report = (extra: Record<string, string>) =>
      api(t.app, service.token)
        .post('/v1/usage')
        .send({ reports: [{ token_id: k.key.id, at, ip: '198.51.100.9', ...extra }] })
        .expect(202)
    expect((await report({})).body).toEqual({ accepted: 1, updated: 0 })
    expect((await report({ ticket: 'AAAAAAAAAAAAAAAAAAAAAA' })).body).toEqual({ accepted: 1, updated: 0 })
    expect((await t.store.keys.get(k.key.id))?.lastUsedIp).toBeNull()
    const verified = await api(t.app, service.token)
      .post('/v1/verify')
      .send({ token: k.token, request: {} })
      .expect(200)
    expect((await report({ ticket: verified.body.claims.usage_ticket })).body).toEqual({
      accepted: 1,
      updated: 1,
    })
    expect((await t.store.keys.get(k.key.id))?.lastUsedIp).toBe('198.51.100.9')
  })
})

describe('GET /v1/audit', () => {
  it('pages the caller’s events newest first, filters by key, never shows secrets', async () => {
    const u = await register(t.app)
    const v = await register(t.app)
    for (let i = 0; i < 5; i++) await createKey(t.app, u.token, { name: `k${i}` })
    const page1 = await api(t.app, u.token)
      .get('/v1/audit?limit=3')
      .set('User-Agent', 'audit-test')
      .expect(200)
    expect(page1.body.events).toHaveLength(3)
    expect(Object.keys(page1.body.events[0]).sort()).toEqual(
      ['actor', 'at', 'detail', 'event', 'id', 'ip', 'key_id', 'user_agent'].sort(),
    )
    expect(page1.body.events[0]).toMatchObject({ event: 'created', actor: u.email })
    expect(typeof page1.body.next_cursor).toBe('string')
    const page2 = await api(t.app, u.token)
      .get(`/v1/audit?limit=3&cursor=${page1.body.next_cursor}`)
      .expect(200)
    expect(page2.body.events).toHaveLength(3)
    expect(page2.body.next_cursor).toBeNull()
    expect(page2.body.events[0].id).toBeLessThan(page1.body.events[2].id)
    const mine = await api(t.app, u.token).get(`/v1/audit?key_id=${u.keyId}`).expect(200)
    expect(mine.body.events.map((e: { key_id: string }) => e.key_id)).toEqual([u.keyId])
    const theirs = await api(t.app, u.token).get(`/v1/audit?key_id=${v.keyId}`).expect(200)
    expect(theirs.body.events).toEqual([])
    expect(JSON.stringify(page1.body)).not.toContain('crumb_A')
    expectProblem(await api(t.app, u.token).get('/v1/audit?cursor=x'), 400, 'validation_failed')
  })

  it('is append-only in the database', async () => {
    const u = await register(t.app)
    await expect(t.rawQuery("UPDATE audit_events SET actor = 'x'")).rejects.toThrow(/append-only/)
    await expect(t.rawQuery('DELETE FROM audit_events')).rejects.toThrow(/append-only/)
    expect((await t.store.audit.list(u.userId)).events).toHaveLength(1)
  })
})
