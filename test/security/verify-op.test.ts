import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { attenuate } from '../../src/token/index.js'
import { ensureBuilt, isolatedEnv, runCli, type Service, startService } from '../cli/helpers.js'
import { engineOf } from '../helpers/deferred-store.js'
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

describe('the verifier routes reuse the key row for a moment (#17)', () => {
  it('a verifier polling again costs no key read; revoking its key or its token refuses it at once', async () => {
    const u = await register(t.app)
    const svc = await createKey(t.app, u.token, { name: 'deploy-api', caveats: ['ops = verify'] })
    const narrowed = attenuate(svc.token, ['device = box-1'])
    const keyReads = vi.spyOn((await engineOf(t.app.service.store)).keys, 'getWithOwner')
    await api(t.app, svc.token).get('/v1/revocations').expect(200)
    await api(t.app, svc.token).get('/v1/revocations').expect(200)
    await api(t.app, narrowed).get('/v1/revocations').set('crumb-device', 'box-1').expect(200)
    expect(keyReads).toHaveBeenCalledTimes(1)

    // the attenuated token revoked: refused at once, while the key's own token still polls
    await api(t.app, narrowed).post('/v1/revocations').send({ token: narrowed }).expect(200)
    expectProblem(
      await api(t.app, narrowed).get('/v1/revocations').set('crumb-device', 'box-1'),
      401,
      'token_revoked',
    )
    await api(t.app, svc.token).get('/v1/revocations').expect(200)

    // the key revoked by its owner: refused at once, though its row was read a moment ago
    await api(t.app, u.token).delete(`/v1/tokens/${svc.key.id}`).expect(200)
    expectProblem(await api(t.app, svc.token).get('/v1/revocations'), 401, 'token_revoked')
    expectProblem(
      await api(t.app, svc.token).post('/v1/verify').send({ token: u.token, request: {} }),
      401,
      'token_revoked',
    )
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
