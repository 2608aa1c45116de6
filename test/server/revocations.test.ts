import { once } from 'node:events'
import { type AddressInfo, createConnection } from 'node:net'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { feedBodies } from '../../src/server/routes/revocations.js'
import type { FeedRead } from '../../src/store/index.js'
import { attenuate } from '../../src/token/index.js'
import { api, createKey, DAY, expectProblem, register, useTestService } from './helpers.js'

const t = useTestService()

const verify = (token: string, caller: string, req: Record<string, string> = {}) =>
  api(t.app, caller).post('/v1/verify').send({ token, request: req })

describe('POST /v1/revocations (public, possession is proof)', () => {
  it('a root token: whole-token entry, key row revoked, audited', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'leaked' })
    const res = await request(t.app).post('/v1/revocations').send({ token: k.token }).expect(200)
    expect(res.body).toEqual({ revoked: { token_id: k.key.id } })
    expect((await t.store.keys.get(k.key.id))?.status).toBe('revoked')
    const entry = (await t.store.revocations.forToken(k.key.id))[0]
    expect(entry?.revocationId).toBeUndefined()
    expect(entry?.expiresAt).toBe(k.key.expires_at)
    const audit = (await t.store.audit.list(u.userId, { keyId: k.key.id })).events
    expect(audit[0]).toMatchObject({ event: 'revoked', actor: 'token-holder' })
    // idempotent
    await request(t.app).post('/v1/revocations').send({ token: k.token }).expect(200)
    expect(await t.store.revocations.forToken(k.key.id)).toHaveLength(1)
  })

  it('the last key can be reported leaked (no last-key protection for a holder)', async () => {
    const u = await register(t.app)
    await request(t.app).post('/v1/revocations').send({ token: u.token }).expect(200)
    expect((await t.store.keys.get(u.keyId))?.status).toBe('revoked')
  })

  it('an attenuated token: kills it and its descendants, not its parent or siblings', async () => {
    const u = await register(t.app)
    const service = await createKey(t.app, u.token, { name: 'verifier' })
    const k = await createKey(t.app, u.token, { name: 'deploy' })
    const child = attenuate(k.token, ['org = acme'])
    const grandchild = attenuate(child, ['app = web'])
    const sibling = attenuate(k.token, ['org = beta'])
    const ctx = { org: 'acme', app: 'web', op: 'deploy' }
    for (const tok of [k.token, child, grandchild])
      expect((await verify(tok, service.token, ctx)).status).toBe(200)

    const res = await request(t.app).post('/v1/revocations').send({ token: child }).expect(200)
    expect(res.body.revoked.token_id).toBe(k.key.id)
    expect(res.body.revoked.revocation_id).toMatch(/^[A-Za-z0-9_-]{22}$/)

    expectProblem(await verify(child, service.token, ctx), 401, 'token_revoked')
    expectProblem(await verify(grandchild, service.token, ctx), 401, 'token_revoked')
    expect((await verify(k.token, service.token, ctx)).status).toBe(200)
    expect((await verify(sibling, service.token, { ...ctx, org: 'beta' })).status).toBe(200)
    expect((await t.store.keys.get(k.key.id))?.status).toBe('active')
    // the service's own API honours the pair entry too
    const ro = attenuate(k.token, ['ops = read'])
    await request(t.app).post('/v1/revocations').send({ token: ro }).expect(200)
    expectProblem(await api(t.app, ro).get('/v1/tokens'), 401, 'token_revoked')
    await api(t.app, k.token).get('/v1/tokens').expect(200)
  })

  it('an expired token can still be revoked; a forged one cannot', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'old', expires_in: '1h' })
    t.clock.advance(2 * 3_600_000)
    await request(t.app).post('/v1/revocations').send({ token: k.token }).expect(200)
    const forged = `${k.token.slice(0, -4)}AAAA`
    expectProblem(await request(t.app).post('/v1/revocations').send({ token: forged }), 401, 'invalid_token')
    expectProblem(
      await request(t.app).post('/v1/revocations').send({ token: 'crumb_nope' }),
      401,
      'invalid_token',
    )
    expectProblem(await request(t.app).post('/v1/revocations').send({}), 400, 'validation_failed')
  })
})

describe('GET /v1/revocations (feed)', () => {
  it('snapshot without since; cursor continues; empty when nothing new', async () => {
    const u = await register(t.app)
    const a = await createKey(t.app, u.token, { name: 'a' })
    const b = await createKey(t.app, u.token, { name: 'b' })
    await request(t.app).post('/v1/revocations').send({ token: a.token }).expect(200)
    const snap = await api(t.app, u.token).get('/v1/revocations').expect(200)
    expect(snap.body.entries).toEqual([{ token_id: a.key.id, expires_at: a.key.expires_at }])
    expect(typeof snap.body.cursor).toBe('string')
    expect(snap.body.reset).toBeUndefined()
    const zero = await api(t.app, u.token).get('/v1/revocations?since=0').expect(200)
    expect(zero.body.entries).toHaveLength(1)

    const child = attenuate(b.token, ['ops = read'])
    await request(t.app).post('/v1/revocations').send({ token: child }).expect(200)
    const next = await api(t.app, u.token).get(`/v1/revocations?since=${snap.body.cursor}`).expect(200)
    expect(next.body.entries).toEqual([
      { token_id: b.key.id, revocation_id: expect.any(String), expires_at: b.key.expires_at },
    ])
    const none = await api(t.app, u.token).get(`/v1/revocations?since=${next.body.cursor}`).expect(200)
    // active_kids (#15 item 5): the key ids that verify now
    expect(none.body).toEqual({ cursor: next.body.cursor, entries: [], active_kids: [t.ring.primary] })
  })

  it('a read-only (service) token may read the feed', async () => {
    const u = await register(t.app)
    await api(t.app, attenuate(u.token, ['ops = read']))
      .get('/v1/revocations')
      .expect(200)
    expectProblem(await request(t.app).get('/v1/revocations'), 401, 'invalid_token')
    expectProblem(await api(t.app, u.token).get('/v1/revocations?since=abc'), 400, 'validation_failed')
  })

  it('reset: true with a snapshot for a cursor from the future or older than pruned entries', async () => {
    const u = await register(t.app)
    const a = await createKey(t.app, u.token, { name: 'a', expires_in: '1d' })
    const b = await createKey(t.app, u.token, { name: 'b' })
    const future = await api(t.app, u.token).get('/v1/revocations?since=999').expect(200)
    expect(future.body).toMatchObject({ reset: true, entries: [], cursor: '0' })

    await request(t.app).post('/v1/revocations').send({ token: a.token }).expect(200)
    await request(t.app).post('/v1/revocations').send({ token: b.token }).expect(200)
    t.clock.advance(2 * DAY)
    t.app.service.feed.prune(0)
    const stale = await api(t.app, await freshToken(u.email))
      .get('/v1/revocations?since=0')
      .expect(200)
    expect(stale.body.entries.map((e: { token_id: string }) => e.token_id)).toEqual([b.key.id])
    const old = await api(t.app, await freshToken(u.email))
      .get('/v1/revocations?since=1')
      .expect(200)
    // entry 2 (b) survives, entry 1 was pruned: since=1 continues without reset
    expect(old.body.reset).toBeUndefined()
  })

  it('long-poll: returns as soon as a revocation lands, else after wait', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'k' })
    const snap = await api(t.app, u.token).get('/v1/revocations').expect(200)
    const started = Date.now()
    const poll = api(t.app, u.token)
      .get(`/v1/revocations?since=${snap.body.cursor}&wait=20`)
      .then((r) => ({ r, ms: Date.now() - started }))
    await new Promise((r) => setTimeout(r, 200))
    expect(t.app.service.feed.waiting).toBe(1)
    await request(t.app).post('/v1/revocations').send({ token: k.token }).expect(200)
    const { r, ms } = await poll
    expect(r.status).toBe(200)
    expect(r.body.entries.map((e: { token_id: string }) => e.token_id)).toEqual([k.key.id])
    expect(ms).toBeLessThan(2000)

    const t0 = Date.now()
    const empty = await api(t.app, u.token).get(`/v1/revocations?since=${r.body.cursor}&wait=0.3`).expect(200)
    expect(empty.body.entries).toEqual([])
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
    expect(t.app.service.feed.waiting).toBe(0)
  })

  // #17: a revocation wakes every long-poll at once; the answer is built once, not once per waiter
  it('long-polls woken by one revocation get the same bytes, with no ETag', async () => {
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'k' })
    const snap = await api(t.app, u.token).get('/v1/revocations').expect(200)
    const polls = [1, 2, 3].map(() =>
      api(t.app, u.token).get(`/v1/revocations?since=${snap.body.cursor}&wait=20`),
    )
    for (const p of polls) p.then(() => undefined) // supertest sends on then()
    await until(() => t.app.service.feed.waiting === 3)
    expect(t.app.service.feed.waiting).toBe(3)
    await request(t.app).post('/v1/revocations').send({ token: k.token }).expect(200)
    const answers = await Promise.all(polls)
    for (const a of answers) {
      expect(a.status).toBe(200)
      expect(a.headers.etag).toBeUndefined()
      expect(a.headers['cache-control']).toBe('no-store')
      expect(a.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(a.text).toBe(answers[0]?.text)
    }
    expect(answers[0]?.body.entries.map((e: { token_id: string }) => e.token_id)).toEqual([k.key.id])
    // a plain read (no wait) has no ETag either: the feed is never revalidated
    const plain = await api(t.app, u.token).get(`/v1/revocations?since=${snap.body.cursor}`).expect(200)
    expect(plain.headers.etag).toBeUndefined()
    expect(plain.text).toBe(answers[0]?.text)
  })

  it('feedBodies: one body per page and active kids, rebuilt when the kids change', () => {
    const feedBody = feedBodies()
    const page: FeedRead = { cursor: '7', entries: [{ tokenId: 'tok_a', expiresAt: 'x', createdAt: 'y' }] }
    const kids = { kids: ['k1'], digest: 'd1' }
    const body = feedBody(page, kids)
    expect(feedBody(page, kids)).toBe(body)
    expect(JSON.parse(body.toString())).toEqual({
      cursor: '7',
      entries: [{ token_id: 'tok_a', expires_at: 'x' }],
      active_kids: ['k1'],
    })
    const rotated = feedBody(page, { kids: ['k2'], digest: 'd2' })
    expect(JSON.parse(rotated.toString()).active_kids).toEqual(['k2'])
    // another page with the same content is another read: its own body (equal bytes)
    const again = feedBody({ ...page }, kids)
    expect(again).not.toBe(body)
    expect(again.equals(body)).toBe(true)
  })

  it('a long-poll whose client goes away stops waiting', async () => {
    const u = await register(t.app)
    const snap = await api(t.app, u.token).get('/v1/revocations').expect(200)
    const server = t.app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const socket = createConnection((server.address() as AddressInfo).port, '127.0.0.1')
      socket.write(
        `GET /v1/revocations?since=${snap.body.cursor}&wait=30 HTTP/1.1\r\nHost: x\r\n` +
          `Authorization: Bearer ${u.token}\r\n\r\n`,
      )
      await until(() => t.app.service.feed.waiting === 1)
      expect(t.app.service.feed.waiting).toBe(1)
      socket.destroy()
      await until(() => t.app.service.feed.waiting === 0)
      expect(t.app.service.feed.waiting).toBe(0)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('closing the feed answers open long-polls at once (shutdown)', async () => {
    const u = await register(t.app)
    const snap = await api(t.app, u.token).get('/v1/revocations')
    const poll = api(t.app, u.token).get(`/v1/revocations?since=${snap.body.cursor}&wait=30`)
    const started = Date.now()
    await new Promise((r) => setTimeout(r, 100))
    t.app.service.feed.close()
    const res = await poll
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(2000)
  })
})

/** Waits (up to 2 s) for `done`. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 20))
}

async function freshToken(address: string): Promise<string> {
  const { PASSWORD } = await import('./helpers.js')
  const res = await request(t.app)
    .post('/v1/auth/login')
    .send({ email: address, password: PASSWORD, device: `d${Math.random()}` })
    .expect(201)
  return res.body.token
}
