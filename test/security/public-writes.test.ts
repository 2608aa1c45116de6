import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { attenuate } from '../../src/token/index.js'
import {
  api,
  createKey,
  expectProblem,
  HOUR,
  register,
  testService,
  useTestService,
} from '../server/helpers.js'

const t = useTestService()

const revoke = (token: string, ip?: string) => {
  const r = request(t.app).post('/v1/revocations')
  if (ip !== undefined) r.set('X-Forwarded-For', ip)
  return r.send({ token })
}

describe('POST /v1/revocations cannot flood the list', () => {
  // #15 item 3
  it('is rate-limited per client address', async () => {
    t.restart(() => testService({ config: { revokeIpLimit: 5 } }))
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'k' })
    for (let i = 0; i < 5; i++) await revoke(attenuate(k.token, [`org = o${i}`])).expect(200)
    const res = await revoke(attenuate(k.token, ['org = o5']))
    expectProblem(res, 429, 'rate_limited')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
  })

  // #15 item 3
  it('is rate-limited per token id, whatever the address', async () => {
    t.restart(() => testService({ config: { trustProxy: true, revokeTokenLimit: 3 } }))
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'k' })
    for (let i = 0; i < 3; i++)
      await revoke(attenuate(k.token, [`org = o${i}`]), `198.51.100.${i}`).expect(200)
    expectProblem(await revoke(attenuate(k.token, ['org = o3']), '198.51.100.77'), 429, 'rate_limited')
    // another key is not affected
    const other = await createKey(t.app, u.token, { name: 'other' })
    await revoke(attenuate(other.token, ['org = x']), '198.51.100.78').expect(200)
  })

  // #15 item 3
  it('past the bound of pair entries per key, revokes the whole key and tells the owner', async () => {
    t.restart(() => testService({ config: { revocationPairLimit: 3 } }))
    const u = await register(t.app)
    const k = await createKey(t.app, u.token, { name: 'ci' })
    for (let i = 0; i < 3; i++) await revoke(attenuate(k.token, [`org = o${i}`])).expect(200)
    expect(await t.store.revocations.forToken(k.key.id)).toHaveLength(3)
    const res = await revoke(attenuate(k.token, ['org = o3'])).expect(200)
    expect(res.body.revoked).toEqual({ token_id: k.key.id })
    expect((await t.store.keys.get(k.key.id))?.status).toBe('revoked')
    expect(await t.store.revocations.has(k.key.id)).toBe(true)
    // the pair entries are not grown further
    expect(
      (await t.store.revocations.forToken(k.key.id)).filter((e) => e.revocationId !== undefined),
    ).toHaveLength(3)
    const events = (await t.store.audit.list(u.userId, { keyId: k.key.id })).events
    expect(events[0]).toMatchObject({ event: 'revoked', actor: 'token-holder' })
    expect(JSON.stringify(events[0]?.detail)).toMatch(/too many attenuated tokens revoked/)
  })
})

describe('usage tickets', () => {
  async function setup() {
    const owner = await register(t.app)
    const service = await register(t.app)
    const k = await createKey(t.app, owner.token, { name: 'ci' })
    await createKey(t.app, owner.token, { name: 'spare' })
    const verified = await api(t.app, service.token)
      .post('/v1/verify')
      .send({ token: k.token, request: {} })
      .expect(200)
    const ticket: string = verified.body.claims.usage_ticket
    const report = (extra: Record<string, unknown> = {}) =>
      api(t.app, service.token)
        .post('/v1/usage')
        .send({
          reports: [
            { token_id: k.key.id, at: t.clock.now().toISOString(), ip: '198.51.100.9', ticket, ...extra },
          ],
        })
    return { owner, service, k, ticket, report }
  }

  // #15 item 6
  it('a revoked key takes no more reports, even with its ticket', async () => {
    const { owner, k, report } = await setup()
    expect((await report().expect(202)).body.updated).toBe(1)
    await api(t.app, owner.token).delete(`/v1/tokens/${k.key.id}`).expect(200)
    const before = (await t.store.keys.get(k.key.id))?.lastUsedAt
    t.clock.advance(60_000)
    expect((await report().expect(202)).body.updated).toBe(0)
    expect((await t.store.keys.get(k.key.id))?.lastUsedAt).toBe(before)
  })

  // #15 item 6
  it('ip must be an IP address', async () => {
    const { report } = await setup()
    expectProblem(await report({ ip: 'keep me looking used' }), 400, 'validation_failed')
    await report({ ip: '2001:db8::1' }).expect(202)
    await report({ ip: null }).expect(202)
  })

  // #15 item 6
  it('a ticket stops working after a while: it is not a standing licence to mark the key used', async () => {
    const { report } = await setup()
    expect((await report().expect(202)).body.updated).toBe(1)
    t.clock.advance(2 * HOUR)
    expect((await report().expect(202)).body.updated).toBe(0)
  })
})
