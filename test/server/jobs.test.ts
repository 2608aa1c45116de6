import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { runJobs, startJobs } from '../../src/service/jobs.js'
import { FEED_START } from '../../src/store/index.js'
import { api, createKey, DAY, expectProblem, register, useTestService } from './helpers.js'

const t = useTestService({ start: '2026-01-01T00:00:00.000Z', config: { tokenMaxTtlMs: 730 * DAY } })

const events = async (userId: string, keyId: string) =>
  (await t.store.audit.list(userId, { keyId })).events.map((e) => e.event)

describe('background jobs (injected clock)', () => {
  it('revoke keys unused for 90 days (auto_revoked); use keeps a key alive', async () => {
    const u = await register(t.app)
    const idle = await createKey(t.app, u.token, { name: 'idle', expires_in: '365d' })
    const busy = await createKey(t.app, u.token, { name: 'busy', expires_in: '365d' })
    t.clock.advance(60 * DAY)
    await api(t.app, busy.token).get('/v1/whoami').expect(200)
    t.clock.advance(31 * DAY)
    // the use above sits in the usage buffer: the job flushes it before judging
    const report = await runJobs(t.app.service)
    expect(report.autoRevoked).toBe(1) // the registration key has expired by now: left alone
    expect((await t.store.keys.get(idle.key.id))?.revokedReason).toBe('unused')
    expect((await events(u.userId, idle.key.id))[0]).toBe('auto_revoked')
    expect((await t.store.audit.list(u.userId, { keyId: idle.key.id })).events[0]?.actor).toBe('system')
    expect((await t.store.keys.get(busy.key.id, t.clock.now()))?.status).toBe('active')
    expectProblem(await api(t.app, idle.token).get('/v1/whoami'), 401, 'token_revoked')
    expect(await t.store.revocations.has(idle.key.id)).toBe(true)
    t.clock.advance(60 * DAY)
    expect((await runJobs(t.app.service)).autoRevoked).toBe(1)
  })

  it('hard-delete revoked rows after 30 days (hard_deleted); the revocation entry and audit remain', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'gone' })
    await api(t.app, u.token).delete(`/v1/tokens/${k.key.id}`).expect(200)
    t.clock.advance(29 * DAY)
    expect((await runJobs(t.app.service)).hardDeleted).toBe(0)
    t.clock.advance(2 * DAY)
    const report = await runJobs(t.app.service)
    expect(report.hardDeleted).toBeGreaterThanOrEqual(1)
    expect(await t.store.keys.get(k.key.id)).toBeUndefined()
    expect(await events(u.userId, k.key.id)).toEqual(['hard_deleted', 'revoked', 'created'])
    expect(await t.store.revocations.has(k.key.id)).toBe(true)
    expectProblem(await api(t.app, k.token).get('/v1/whoami'), 401, 'token_revoked')
  })

  it('prune feed entries once the root token has expired anyway (and keep the cursor)', async () => {
    const u = await register(t.app)
    const short = await createKey(t.app, u.token, { name: 'short', expires_in: '2d' })
    const long = await createKey(t.app, u.token, { name: 'long', expires_in: '300d' })
    await request(t.app).post('/v1/revocations').send({ token: short.token }).expect(200)
    await request(t.app).post('/v1/revocations').send({ token: long.token }).expect(200)
    // the in-memory list follows the store (on PostgreSQL through LISTEN): bring it up to date
    await t.app.service.feed.sync()
    expect(t.app.service.feed.list.size).toBe(2)
    t.clock.advance(2 * DAY)
    expect((await runJobs(t.app.service)).pruned).toBe(0) // inside the clock-skew margin
    t.clock.advance(DAY)
    expect((await runJobs(t.app.service)).pruned).toBe(1)
    expect(await t.store.revocations.has(short.key.id)).toBe(false)
    expect(await t.store.revocations.has(long.key.id)).toBe(true)
    expect(t.app.service.feed.list.size).toBe(1)
    expect((await t.store.revocations.read(FEED_START)).cursor).toBe('2')
  })

  it('hard-delete keys that expired more than 30 days ago; drop expired device codes', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'lapsed', expires_in: '1d' })
    await request(t.app).post('/v1/auth/device').send({ device: 'box' }).expect(200)
    t.clock.advance(20 * DAY)
    expect(await runJobs(t.app.service)).toMatchObject({ hardDeleted: 0, deviceCodesPruned: 1 })
    t.clock.advance(12 * DAY)
    await runJobs(t.app.service)
    expect(await t.store.keys.get(k.key.id)).toBeUndefined()
    expect((await t.store.audit.list(u.userId, { keyId: k.key.id })).events[0]?.detail).toMatchObject({
      reason: 'expired',
    })
  })

  it('run at start and on an interval, and stop', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'k' })
    await api(t.app, u.token).post(`/v1/tokens/${k.key.id}/rotate`).send({ grace: '1m' }).expect(201)
    t.clock.advance(2 * 60_000)
    const jobs = startJobs(t.app.service, 50)
    await jobs.idle()
    expect((await t.store.keys.get(k.key.id))?.status).toBe('revoked') // ran at start
    const other = await createKey(t.app, u.token, { name: 'other' })
    await api(t.app, u.token).post(`/v1/tokens/${other.key.id}/rotate`).send({ grace: '1m' }).expect(201)
    t.clock.advance(2 * 60_000)
    await new Promise((r) => setTimeout(r, 500))
    expect((await t.store.keys.get(other.key.id))?.status).toBe('revoked') // ran on the interval
    await jobs.stop()
  })
})
