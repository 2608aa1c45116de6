import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { RevocationList } from '../../src/token/index.js'
import * as crumb from '../../src/verifier/index.js'
import { api, createKey, register, testService } from '../server/helpers.js'
import { memoryLogger } from '../verifier/helpers.js'
import { deployApi, listen, useCleanups } from './helpers.js'

const later = useCleanups()

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A service whose key `ci` was just rotated with an hour's grace, and the feed read after it. */
async function rotatedWithAnHourOfGrace() {
  const service = testService()
  later(() => service.cleanup())
  const u = await register(service.app)
  const k = await createKey(service.app, u.token, { name: 'ci' })
  await api(service.app, u.token).post(`/v1/tokens/${k.key.id}/rotate`).send({ grace: '1h' }).expect(201)
  const feed = await api(service.app, u.token).get('/v1/revocations').expect(200)
  return { service, u, k, feed }
}

describe("a rotation's grace end reaches verifiers at rotation time", () => {
  for (const mode of ['local', 'remote'] as const) {
    // #15 item 4
    it(`${mode} mode refuses the old token right after the grace, with no background job run`, async () => {
      const service = testService()
      const url = await listen(service, later)
      const u = await register(service.app)
      const svc = await createKey(service.app, u.token, { name: 'deploy-api', caveats: ['ops = verify'] })
      const old = await createKey(service.app, u.token, { name: 'ci' })
      const base = { server: url, serviceToken: svc.token, usage: false, logger: memoryLogger() } as const
      const auth = crumb.verifier(
        mode === 'local' ? { ...base, keys: service.ring } : { ...base, mode: 'remote' },
      )
      later(() => auth.close())
      await auth.ready()
      const app = deployApi(auth)
      const deploy = () => request(app).post('/deploy').set('Authorization', `Bearer ${old.token}`)
      expect((await deploy()).status).toBe(201) // remembered / cached from here on

      service.clock.set(new Date())
      const rotated = await api(service.app, u.token)
        .post(`/v1/tokens/${old.key.id}/rotate`)
        .send({ grace: '3s' })
        .expect(201)
      const graceEnd = Date.now() + 3_000
      expect((await deploy()).status).toBe(201) // within the grace
      service.clock.set(new Date(graceEnd + 1_000)) // the service's own answer after the grace
      await sleep(graceEnd + 300 - Date.now())
      const after = await deploy()
      expect(after.status).toBe(401)
      expect(after.body.code).toBe('token_revoked')
      // the new token works
      const fresh = await request(app).post('/deploy').set('Authorization', `Bearer ${rotated.body.token}`)
      expect(fresh.status).toBe(201)
    }, 20_000)
  }

  // #15 item 4
  it('the feed carries the entry with effective_at; the service accepts the old key until the grace end only', async () => {
    const { service, k, feed } = await rotatedWithAnHourOfGrace()
    const entry = feed.body.entries.find((e: { token_id: string }) => e.token_id === k.key.id)
    expect(entry).toMatchObject({ token_id: k.key.id, expires_at: k.key.expires_at })
    expect(Date.parse(entry.effective_at)).toBe(service.clock.now().getTime() + 3_600_000)
    // an older verifier reads token_id + expires_at only: the token is refused now, never accepted late
    const old = new RevocationList([{ tokenId: entry.token_id, expiresAt: new Date(entry.expires_at) }])
    expect(old.isTokenRevoked(k.key.id)).toBe(true)
    // the service's own list holds the entry too, and it is not in force during the grace
    await api(service.app, k.token).get('/v1/whoami').expect(200)
    const start = service.clock.now().getTime()
    service.clock.set(new Date(start + 3_600_000 - 1))
    await api(service.app, k.token).get('/v1/whoami').expect(200)
    service.clock.set(new Date(start + 3_600_000))
    const refused = await api(service.app, k.token).get('/v1/whoami').expect(401)
    expect(refused.body.code).toBe('token_revoked')
    service.clock.set(new Date(start))
  })

  // #15 item 4
  it('revoking the old key during the grace puts an entry in force at once on the feed', async () => {
    const { service, u, k, feed } = await rotatedWithAnHourOfGrace()
    await api(service.app, u.token).delete(`/v1/tokens/${k.key.id}`).expect(200)
    // a reader following its cursor sees the replacement
    const next = await api(service.app, u.token).get(`/v1/revocations?since=${feed.body.cursor}`).expect(200)
    expect(next.body.reset).toBeUndefined()
    const now = next.body.entries.find((e: { token_id: string }) => e.token_id === k.key.id)
    expect(now).toBeDefined()
    expect(now.effective_at).toBeUndefined()
    // and the old key is refused by the service at once
    const refused = await api(service.app, k.token).get('/v1/whoami').expect(401)
    expect(refused.body.code).toBe('token_revoked')
  })
})
