import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { runJobs } from '../../src/server/jobs.js'
import { generateKeyRing, MAX_VERIFIER_LEEWAY_MS } from '../../src/token/index.js'
import * as crumb from '../../src/verifier/index.js'
import { createKey, register, testService } from '../server/helpers.js'
import { memoryLogger } from '../verifier/helpers.js'
import { deployApi, listen, useCleanups } from './helpers.js'

const later = useCleanups()

describe('revocation entries outlive every acceptance window', () => {
  // #15 item 1
  it('a revoked 60 s key stays refused by a local verifier within its leeway after expiry', async () => {
    // the service's clock runs 65 s behind the verifier's: the key (60 s) expired 5 s ago
    const service = testService({ start: new Date(Date.now() - 65_000).toISOString() })
    const url = await listen(service, later)
    const u = await register(service.app)
    const verifierKey = await createKey(service.app, u.token, { name: 'verifier' })
    const key = await createKey(service.app, u.token, { name: 'ci', expires_in: '60s' })
    await request(service.app).post('/v1/revocations').send({ token: key.token }).expect(200)
    // the service runs its jobs at the expiry instant: it keeps the entry (its prune has a margin)
    service.clock.advance(61_000)
    await runJobs(service.app.service)

    const auth = crumb.verifier({
      keys: service.ring,
      server: url,
      serviceToken: verifierKey.token,
      leeway: '30s',
      usage: false,
      logger: memoryLogger(),
    })
    later(() => auth.close())
    await auth.ready()
    const res = await request(deployApi(auth)).post('/deploy').set('Authorization', `Bearer ${key.token}`)
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('token_revoked')
  })

  // #15 item 1
  it('a verifier refuses at construction a leeway the service does not keep entries for', () => {
    const base = { keys: generateKeyRing(), revocations: false as const, usage: false as const }
    expect(() => crumb.verifier({ ...base, leeway: MAX_VERIFIER_LEEWAY_MS + 1 })).toThrow(/leeway/)
    expect(() => crumb.verifier({ ...base, leeway: '1h' })).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    )
    const ok = crumb.verifier({ ...base, leeway: MAX_VERIFIER_LEEWAY_MS })
    void ok.close()
  })

  // #15 item 1
  it('the service keeps entries past expiry for longer than the largest leeway a verifier accepts', async () => {
    const service = testService()
    later(() => service.cleanup())
    const u = await register(service.app)
    const key = await createKey(service.app, u.token, { name: 'ci', expires_in: '60s' })
    await request(service.app).post('/v1/revocations').send({ token: key.token }).expect(200)
    service.clock.advance(60_000 + MAX_VERIFIER_LEEWAY_MS)
    await runJobs(service.app.service)
    expect(await service.store.revocations.forToken(key.key.id)).toHaveLength(1)
  })
})
