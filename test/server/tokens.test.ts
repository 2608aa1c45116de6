import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { formatInstant } from '../../caveats/lib/instant.js'
import { confirmDestructiveHeader } from '../../src/server/routes/tokens.js'
import { attenuate } from '../../src/token/index.js'
import {
  api,
  bearer,
  createKey,
  DAY,
  expectProblem,
  HOUR,
  register,
  testService,
  useTestService,
} from './helpers.js'

const t = useTestService()

const KEY_FIELDS = [
  'caveats',
  'created_at',
  'expires_at',
  'grace_ends_at', // beside DESIGN's fields: a rotated key's grace end (#18 item 1)
  'hint',
  'id',
  'last_used_at',
  'last_used_ip',
  'last_used_user_agent',
  'name',
  'revoked_at',
  'source',
  'status',
]

describe('POST /v1/tokens', () => {
  it('mints a root token with an expires caveat and the chosen caveats; the Key has exactly the DESIGN fields (+ grace_ends_at)', async () => {
    const u = await register(t.app)
    const res = await api(t.app, u.token)
      .post('/v1/tokens')
      .send({ name: 'deploy (CI)', caveats: ['org = acme', 'app = web', 'ops = deploy'], expires_in: '30d' })
      .expect(201)
    expect(res.body.token).toMatch(/^crumb_[A-Za-z0-9_-]{40,}$/)
    expect(Object.keys(res.body.key).sort()).toEqual(KEY_FIELDS)
    expect(res.body.key).toMatchObject({
      name: 'deploy (CI)',
      source: 'api',
      status: 'active',
      caveats: ['org = acme', 'app = web', 'ops = deploy'],
      revoked_at: null,
      last_used_at: null,
    })
    expect(res.body.key.hint).toBe(`crumb_…${res.body.token.slice(-4)}`) // #18 item 3
    const expires = new Date(res.body.key.expires_at).getTime() - t.clock.now().getTime()
    expect(Math.abs(expires - 30 * DAY)).toBeLessThan(1000)
    const { inspectToken } = await import('../../src/token/index.js')
    const info = inspectToken(res.body.token)
    expect(info.caveats.map((c) => c.text)).toEqual([
      expect.stringMatching(/^expires = /),
      'org = acme',
      'app = web',
      'ops = deploy',
    ])
    // the token itself is never stored
    const rows = await t.rawQuery(`SELECT * FROM keys WHERE id = '${res.body.key.id}'`)
    expect(rows).toHaveLength(1)
    expect(JSON.stringify(rows)).not.toContain(res.body.token.slice(6))
  })

  it('defaults to 90 days and refuses expires_in above the maximum', async () => {
    const u = await register(t.app)
    const { key } = await createKey(t.app, u.token, { name: 'default' })
    const ms = new Date(String(key.expires_at)).getTime() - t.clock.now().getTime()
    expect(Math.abs(ms - 90 * DAY)).toBeLessThan(1000)
    const res = await api(t.app, u.token).post('/v1/tokens').send({ name: 'forever', expires_in: '400d' })
    expect(expectProblem(res, 400, 'validation_failed').errors?.[0]?.path).toBe('expires_in')
    const bad = await api(t.app, u.token).post('/v1/tokens').send({ name: 'x', expires_in: 'soon' })
    expectProblem(bad, 400, 'validation_failed')
  })

  it('takes expires_in in the grammar the CLI and the verifier use (compounds, seconds)', async () => {
    const u = await register(t.app)
    for (const [text, ms] of [
      ['1h30m', 90 * 60_000],
      ['90s', 90_000],
    ] as const) {
      const { key } = await createKey(t.app, u.token, { name: text, expires_in: text })
      const lifetime = new Date(String(key.expires_at)).getTime() - t.clock.now().getTime()
      expect(Math.abs(lifetime - ms)).toBeLessThan(1000)
    }
    const bad = await api(t.app, u.token).post('/v1/tokens').send({ name: 'x', expires_in: '1.5h' })
    expect(expectProblem(bad, 400, 'validation_failed').errors?.[0]?.path).toBe('expires_in')
  })

  it('refuses an expires caveat already in the past (or exactly now), naming its index', async () => {
    const u = await register(t.app)
    const now = t.clock.now().getTime()
    for (const at of [now - 1000, now]) {
      const res = await api(t.app, u.token)
        .post('/v1/tokens')
        .send({ name: 'dead', caveats: ['ops = read', `expires = ${formatInstant(at)}`] })
      expect(expectProblem(res, 400, 'validation_failed').errors?.map((e) => e.path)).toEqual(['caveats.1'])
    }
    await createKey(t.app, u.token, { name: 'alive', caveats: [`expires = ${formatInstant(now + 1000)}`] })
  })

  it('refuses a bad caveat naming its index', async () => {
    const u = await register(t.app)
    const res = await api(t.app, u.token)
      .post('/v1/tokens')
      .send({ name: 'x', caveats: ['org = acme', 'color = red', 'ops = '] })
    const p = expectProblem(res, 400, 'validation_failed')
    expect(p.errors?.map((e) => e.path)).toEqual(['caveats.1', 'caveats.2'])
  })

  it('lists zod issues for a bad body', async () => {
    const u = await register(t.app)
    const res = await api(t.app, u.token).post('/v1/tokens').send({ name: '', caveats: 'org = acme' })
    const p = expectProblem(res, 400, 'validation_failed')
    expect([...new Set(p.errors?.map((e) => `${e.in}:${e.path}`))].sort()).toEqual([
      'body:caveats',
      'body:name',
    ])
  })

  it('rate-limits creation per user (429 with Retry-After)', async () => {
    t.restart(() => testService({ config: { keyCreateLimit: 3 } }))
    const u = await register(t.app)
    for (let i = 0; i < 3; i++) await createKey(t.app, u.token, { name: `k${i}` })
    t.clock.advance(10 * 60_000)
    const res = await api(t.app, u.token).post('/v1/tokens').send({ name: 'one too many' })
    expectProblem(res, 429, 'rate_limited')
    expect(Number(res.headers['retry-after'])).toBe(50 * 60)
    // another user is not affected
    const v = await register(t.app)
    await createKey(t.app, v.token, { name: 'fine' })
    t.clock.advance(50 * 60_000 + 1000)
    await createKey(t.app, u.token, { name: 'after the window' })
  })
})

describe('GET /v1/tokens', () => {
  it('lists active and expired keys, hides revoked ones unless include_revoked=true', async () => {
    const u = await register(t.app)
    const a = await createKey(t.app, u.token, { name: 'a' })
    const b = await createKey(t.app, u.token, { name: 'b', expires_in: '1h' })
    await api(t.app, u.token).delete(`/v1/tokens/${a.key.id}`).expect(200)
    t.clock.advance(2 * HOUR)
    const list = await api(t.app, u.token).get('/v1/tokens').expect(200)
    const statuses = Object.fromEntries(
      list.body.keys.map((k: { name: string; status: string }) => [k.name, k.status]),
    )
    expect(statuses).toEqual({ 'Registration key': 'active', b: 'expired' })
    expect(b.key.id).toBeDefined()
    const all = await api(t.app, u.token).get('/v1/tokens?include_revoked=true').expect(200)
    expect(
      all.body.keys.map((k: { name: string; status: string }) => `${k.name}:${k.status}`).sort(),
    ).toEqual(['Registration key:active', 'a:revoked', 'b:expired'])
    expectProblem(await api(t.app, u.token).get('/v1/tokens?include_revoked=yes'), 400, 'validation_failed')
  })

  it('shows only the caller’s keys', async () => {
    const u = await register(t.app)
    const v = await register(t.app)
    await createKey(t.app, v.token, { name: 'theirs' })
    const list = await api(t.app, u.token).get('/v1/tokens').expect(200)
    expect(list.body.keys.map((k: { name: string }) => k.name)).toEqual(['Registration key'])
  })
})

describe('PATCH /v1/tokens/:id', () => {
  it('renames and audits; another user’s key is 404; a malformed id is 400', async () => {
    const u = await register(t.app)
    const v = await register(t.app)
    const res = await api(t.app, u.token).patch(`/v1/tokens/${u.keyId}`).send({ name: 'laptop' }).expect(200)
    expect(res.body.key.name).toBe('laptop')
    const events = (await t.store.audit.list(u.userId)).events
    expect(events[0]).toMatchObject({
      event: 'renamed',
      keyId: u.keyId,
      detail: { from: 'Registration key', to: 'laptop' },
    })
    expectProblem(
      await api(t.app, u.token).patch(`/v1/tokens/${v.keyId}`).send({ name: 'mine now' }),
      404,
      'not_found',
    )
    expectProblem(
      await api(t.app, u.token).patch('/v1/tokens/not-a-key').send({ name: 'x' }),
      400,
      'validation_failed',
    )
  })
})

describe('DELETE /v1/tokens/:id', () => {
  it('revokes (the row stays), stops the token at once, and is idempotent', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'spare' })
    const res = await api(t.app, u.token).delete(`/v1/tokens/${k.key.id}`).expect(200)
    expect(res.body.key).toMatchObject({ id: k.key.id, status: 'revoked' })
    expect(res.body.key.revoked_at).not.toBeNull()
    expect((await t.store.keys.get(k.key.id))?.status).toBe('revoked')
    expectProblem(await api(t.app, k.token).get('/v1/whoami'), 401, 'token_revoked')
    await api(t.app, u.token).delete(`/v1/tokens/${k.key.id}`).expect(200)
    expect((await t.store.audit.list(u.userId)).events.filter((e) => e.event === 'revoked')).toHaveLength(1)
    expect(await t.store.revocations.has(k.key.id)).toBe(true)
  })

  it('refuses to revoke the last active key (409 last_key_protected)', async () => {
    const u = await register(t.app)
    expectProblem(await api(t.app, u.token).delete(`/v1/tokens/${u.keyId}`), 409, 'last_key_protected')
    const k = await createKey(t.app, u.token, { name: 'second' })
    await api(t.app, k.token).delete(`/v1/tokens/${u.keyId}`).expect(200)
    expectProblem(await api(t.app, k.token).delete(`/v1/tokens/${k.key.id}`), 409, 'last_key_protected')
  })

  it('hard delete needs X-Confirm-Destructive; the revocation entry and audit outlive the row', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'doomed' })
    expectProblem(
      await api(t.app, u.token).delete(`/v1/tokens/${k.key.id}?hard=true`),
      428,
      'confirmation_required',
    )
    expect((await t.store.keys.get(k.key.id))?.status).toBe('active')
    await api(t.app, u.token)
      .delete(`/v1/tokens/${k.key.id}?hard=true`)
      .set('X-Confirm-Destructive', 'true')
      .expect(204)
    expect(await t.store.keys.get(k.key.id)).toBeUndefined()
    expect(await t.store.revocations.has(k.key.id)).toBe(true)
    const feed = await api(t.app, u.token).get('/v1/revocations').expect(200)
    expect(feed.body.entries.map((e: { token_id: string }) => e.token_id)).toContain(k.key.id)
    expectProblem(await api(t.app, k.token).get('/v1/whoami'), 401, 'token_revoked')
    const audit = await api(t.app, u.token).get(`/v1/audit?key_id=${k.key.id}`).expect(200)
    expect(audit.body.events.map((e: { event: string }) => e.event)).toEqual([
      'deleted',
      'revoked',
      'created',
    ])
    expectProblem(await api(t.app, u.token).delete(`/v1/tokens/${k.key.id}`), 404, 'not_found')
  })

  it('X-Confirm-Destructive is true in any case, spaces around ignored; nothing else confirms', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'doomed' })
    for (const value of ['', 'yes', '1', 'true, true', 'truely']) {
      const res = await api(t.app, u.token)
        .delete(`/v1/tokens/${k.key.id}?hard=true`)
        .set('X-Confirm-Destructive', value)
      expectProblem(res, 428, 'confirmation_required')
    }
    await api(t.app, u.token)
      .delete(`/v1/tokens/${k.key.id}?hard=true`)
      .set('X-Confirm-Destructive', ' TRUE ')
      .expect(204)
    expect(confirmDestructiveHeader.safeParse('True').success).toBe(true)
    expect(confirmDestructiveHeader.safeParse(undefined).success).toBe(false)
  })

  it('hard delete of the last key is refused too', async () => {
    const u = await register(t.app)
    expectProblem(
      await api(t.app, u.token)
        .delete(`/v1/tokens/${u.keyId}?hard=true`)
        .set('X-Confirm-Destructive', 'true'),
      409,
      'last_key_protected',
    )
    expect((await t.store.keys.get(u.keyId))?.status).toBe('active')
  })
})

describe('POST /v1/tokens/:id/rotate', () => {
  it('with grace 0 revokes the old key now', async () => {
    const u = await register(t.app)
    const old = await createKey(t.app, u.token, { name: 'deploy', caveats: ['ops = deploy'] })
    const res = await api(t.app, u.token)
      .post(`/v1/tokens/${old.key.id}/rotate`)
      .send({ grace: '0s' })
      .expect(201)
    expect(res.body.key).toMatchObject({ name: 'deploy', caveats: ['ops = deploy'], status: 'active' })
    expect(res.body.previous).toMatchObject({ id: old.key.id, status: 'revoked' })
    expect(res.body.token).not.toBe(old.token)
    expect(await t.store.revocations.has(old.key.id)).toBe(true)
    const events = (await t.store.audit.list(u.userId, { keyId: old.key.id })).events.map((e) => e.event)
    expect(events).toContain('rotated')
  })

  it('with a grace period the old key keeps working until the job revokes it', async () => {
    const u = await register(t.app)
    const old = await createKey(t.app, u.token, { name: 'deploy' })
    const res = await api(t.app, u.token)
      .post(`/v1/tokens/${old.key.id}/rotate`)
      .send({ grace: '1h' })
      .expect(201)
    expect(res.body.previous.status).toBe('active')
    await api(t.app, old.token).get('/v1/whoami').expect(200)
    const { runJobs } = await import('../../src/server/jobs.js')
    t.clock.advance(30 * 60_000)
    expect((await runJobs(t.app.service)).rotated).toBe(0)
    t.clock.advance(31 * 60_000)
    expect((await runJobs(t.app.service)).rotated).toBe(1)
    expectProblem(await api(t.app, old.token).get('/v1/whoami'), 401, 'token_revoked')
    await api(t.app, res.body.token).get('/v1/whoami').expect(200)
  })

  it('drops the old key’s own expires caveat once it has passed (the replacement would be dead)', async () => {
    const u = await register(t.app)
    const soon = `expires = ${formatInstant(t.clock.now().getTime() + HOUR)}`
    const later = `expires = ${formatInstant(t.clock.now().getTime() + 3 * HOUR)}`
    const old = await createKey(t.app, u.token, { name: 'ci', caveats: ['ops = deploy', soon, later] })
    t.clock.advance(2 * HOUR)
    const res = await api(t.app, u.token).post(`/v1/tokens/${old.key.id}/rotate`).send({}).expect(201)
    expect(res.body.key.caveats).toEqual(['ops = deploy', later])
    // alive: refused for its scope (ops = deploy cannot read), not as expired
    expectProblem(await api(t.app, res.body.token).get('/v1/tokens'), 403, 'insufficient_scope')
  })

  it('refuses a grace over 24h, a revoked key, and another user’s key', async () => {
    const u = await register(t.app)
    const v = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'k' })
    expectProblem(
      await api(t.app, u.token).post(`/v1/tokens/${k.key.id}/rotate`).send({ grace: '25h' }),
      400,
      'validation_failed',
    )
    await api(t.app, u.token).delete(`/v1/tokens/${k.key.id}`).expect(200)
    expectProblem(await api(t.app, u.token).post(`/v1/tokens/${k.key.id}/rotate`).send({}), 409, 'conflict')
    expectProblem(await api(t.app, u.token).post(`/v1/tokens/${v.keyId}/rotate`).send({}), 404, 'not_found')
  })
})

describe('the service enforces caveats on its own API', () => {
  it('an ops = read token lists keys but cannot create, rename, revoke or rotate', async () => {
    const u = await register(t.app)
    const ro = attenuate(u.token, ['ops = read'])
    await api(t.app, ro).get('/v1/tokens').expect(200)
    const k = await createKey(t.app, u.token, { name: 'victim' })
    const attempts = [
      request(t.app).post('/v1/tokens').send({ name: 'x' }),
      request(t.app).patch(`/v1/tokens/${k.key.id}`).send({ name: 'x' }),
      request(t.app).delete(`/v1/tokens/${k.key.id}`),
      request(t.app).post(`/v1/tokens/${k.key.id}/rotate`).send({}),
    ]
    for (const attempt of attempts) expectProblem(await attempt.set(...bearer(ro)), 403, 'insufficient_scope')
    expect((await t.store.keys.get(k.key.id))?.status).toBe('active')
  })

  it('a key created with ops = read is read-only too', async () => {
    const u = await register(t.app)
    const ro = await createKey(t.app, u.token, { name: 'ro', caveats: ['ops = read'] })
    await api(t.app, ro.token).get('/v1/tokens').expect(200)
    expectProblem(
      await api(t.app, ro.token).post('/v1/tokens').send({ name: 'x' }),
      403,
      'insufficient_scope',
    )
  })

  it('a token limited to an org or app is refused (the service API names none: fail closed)', async () => {
    const u = await register(t.app)
    const ci = await createKey(t.app, u.token, { name: 'ci', caveats: ['org = acme'] })
    const res = await api(t.app, ci.token).get('/v1/tokens')
    expect(res.status).toBe(403)
    expect(res.body.code).toBe('caveat_failed')
  })

  it('an attenuated or restricted token cannot mint keys (no escalation)', async () => {
    const u = await register(t.app)
    const short = attenuate(u.token, ['expires = 2099-01-01T00:00:00Z'])
    await api(t.app, short).get('/v1/whoami').expect(200)
    expectProblem(
      await api(t.app, short).post('/v1/tokens').send({ name: 'broader' }),
      403,
      'insufficient_scope',
    )
    const ipLimited = await createKey(t.app, u.token, { name: 'ip', caveats: ['ip = 0.0.0.0/0,::/0'] })
    expectProblem(
      await api(t.app, ipLimited.token).post('/v1/tokens').send({ name: 'broader' }),
      403,
      'insufficient_scope',
    )
  })

  it('a device caveat needs the Crumb-Device header', async () => {
    const u = await register(t.app)
    const d = attenuate(u.token, ['device = laptop-7'])
    expectProblem(await api(t.app, d).get('/v1/whoami'), 403, 'caveat_failed')
    await api(t.app, d).get('/v1/whoami').set('Crumb-Device', 'laptop-7').expect(200)
  })
})
