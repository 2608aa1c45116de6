import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { api, expectProblem, PASSWORD, register, useTestService } from './helpers.js'

const t = useTestService()

const signIn = (address: string) =>
  request(t.app).post('/v1/sessions').send({ email: address, password: PASSWORD }).expect(201)

describe('dashboard sessions', () => {
  it('are keys of source dashboard-session, hidden from the key list', async () => {
    const u = await register(t.app)
    const s = await signIn(u.email)
    expect(s.body.key).toMatchObject({ source: 'dashboard-session', status: 'active' })
    const list = await api(t.app, s.body.token).get('/v1/tokens?include_revoked=true').expect(200)
    expect(list.body.keys.map((k: { source: string }) => k.source)).toEqual(['register'])
    const sessions = await api(t.app, s.body.token).get('/v1/sessions').expect(200)
    expect(sessions.body.current).toBe(s.body.key.id)
    expect(sessions.body.sessions.map((k: { id: string }) => k.id)).toEqual([s.body.key.id])
    expectProblem(
      await request(t.app).post('/v1/sessions').send({ email: u.email, password: 'wrong password' }),
      401,
      'unauthorized',
    )
  })

  it('sign out all other sessions: audited session_revoked, the current one survives', async () => {
    const u = await register(t.app)
    const a = await signIn(u.email)
    const b = await signIn(u.email)
    const c = await signIn(u.email)
    const res = await api(t.app, c.body.token)
      .delete('/v1/sessions/others')
      .set('X-Confirm-Destructive', 'true')
      .expect(200)
    expect(res.body.revoked).toBe(2)
    for (const s of [a, b]) {
      expectProblem(await api(t.app, s.body.token).get('/v1/whoami'), 401, 'token_revoked')
    }
    await api(t.app, c.body.token).get('/v1/whoami').expect(200)
    const events = (await t.store.audit.list(u.userId)).events.filter((e) => e.event === 'session_revoked')
    expect(events.map((e) => e.keyId).sort()).toEqual([a.body.key.id, b.body.key.id].sort())
    // from a non-session key every session goes
    await api(t.app, u.token).delete('/v1/sessions/others').set('X-Confirm-Destructive', 'true').expect(200)
    expect((await t.store.keys.get(c.body.key.id))?.status).toBe('revoked')
  })

  it('sign out one session; a session never counts for last-key protection', async () => {
    const u = await register(t.app)
    const s = await signIn(u.email)
    await api(t.app, u.token).delete(`/v1/sessions/${s.body.key.id}`).expect(200)
    expectProblem(await api(t.app, u.token).delete(`/v1/sessions/${u.keyId}`), 404, 'not_found')
    const s2 = await signIn(u.email)
    expectProblem(await api(t.app, s2.body.token).delete(`/v1/tokens/${u.keyId}`), 409, 'last_key_protected')
    // a session is not a key: the key routes do not see it
    expectProblem(await api(t.app, u.token).delete(`/v1/tokens/${s2.body.key.id}`), 404, 'not_found')
  })
})
