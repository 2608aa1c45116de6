import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, isolatedEnv, runCli, type Service, startService } from '../cli/helpers.js'
import { callApi } from '../helpers/http.js'
import { api, createKey, expectProblem, register, useTestService } from '../server/helpers.js'

const t = useTestService()

describe('the verify op: a least-privilege service token', () => {
  // #15 item 7
  it('ops = verify admits exactly the feed, POST /v1/verify and POST /v1/usage', async () => {
    const u = await register(t.app)
    const svc = await createKey(t.app, u.token, { name: 'deploy-api', caveats: ['ops = verify'] })
    const ci = await createKey(t.app, u.token, { name: 'ci' })
    const as = api(t.app, svc.token)
    await as.get('/v1/revocations').expect(200)
    const verified = await as.post('/v1/verify').send({ token: ci.token, request: {} }).expect(200)
    expect(verified.body.valid).toBe(true)
    await as
      .post('/v1/usage')
      .send({ reports: [{ token_id: ci.key.id, at: new Date().toISOString() }] })
      .expect(202)
    // nothing else: it cannot list, read, rename, revoke or create keys
    expectProblem(await as.get('/v1/tokens'), 403, 'insufficient_scope')
    expectProblem(await as.get('/v1/whoami'), 403, 'insufficient_scope')
    expectProblem(await as.get('/v1/audit'), 403, 'insufficient_scope')
    expectProblem(await as.delete(`/v1/tokens/${ci.key.id}`), 403, 'insufficient_scope')
    expectProblem(await as.patch(`/v1/tokens/${ci.key.id}`).send({ name: 'x' }), 403, 'insufficient_scope')
    expectProblem(await as.post('/v1/tokens').send({ name: 'more' }), 403, 'insufficient_scope')
    expect((await t.store.keys.get(ci.key.id))?.status).toBe('active')
  })

  // #15 item 7
  it('read and write tokens keep what they had on those routes; verify adds nothing to them elsewhere', async () => {
    const u = await register(t.app)
    const ro = await createKey(t.app, u.token, { name: 'ro', caveats: ['ops = read'] })
    await api(t.app, ro.token).get('/v1/revocations').expect(200)
    expectProblem(
      await api(t.app, ro.token).post('/v1/verify').send({ token: ro.token }),
      403,
      'insufficient_scope',
    )
    const rw = await createKey(t.app, u.token, { name: 'rw', caveats: ['ops = read,write'] })
    await api(t.app, rw.token)
      .post('/v1/verify')
      .send({ token: ro.token, request: { op: 'read' } })
      .expect(200)
    await api(t.app, rw.token).get('/v1/revocations').expect(200)
  })
})

describe('crumb tokens create --service', () => {
  let work: string
  let service: Service
  beforeAll(async () => {
    ensureBuilt()
    work = await mkdtemp(join(tmpdir(), 'crumb-verify-op-'))
    service = await startService(join(work, 'data'))
  }, 180_000)
  afterAll(async () => {
    await service?.stop()
    await rm(work, { recursive: true, force: true })
  })

  // #15 item 7
  it('creates a key with ops = verify that can read the feed and nothing else', async () => {
    const reg = await callApi(service.url, 'POST', '/v1/users', {
      body: { email: 'svc@example.com', password: 'correct horse battery staple' },
    })
    expect(reg.status).toBe(201)
    const env = isolatedEnv(join(work, 'home'), {
      CRUMB_SERVER: service.url,
      CRUMB_TOKEN: (reg.body as { token: string }).token,
    })
    const created = await runCli(['tokens', 'create', '--name', 'deploy-api', '--service', '--json'], env)
    expect(created.code, created.stderr).toBe(0)
    const { token, key } = JSON.parse(created.stdout) as { token: string; key: { caveats: string[] } }
    expect(key.caveats).toEqual(['ops = verify'])
    const feed = await callApi(service.url, 'GET', '/v1/revocations', { token })
    expect(feed.status).toBe(200)
    const list = await callApi(service.url, 'GET', '/v1/tokens', { token })
    expect(list.status).toBe(403)
  })
})
