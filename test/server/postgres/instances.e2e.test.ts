/**
 * #17: two real token-service processes on one PostgreSQL database (same key ring file), and a
 * verifier (the example deploy API, local mode) whose feed long-polls the second one.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  createPostgresDatabase,
  describePostgres,
  dropPostgresDatabase,
  type PostgresDatabase,
} from '../../helpers/postgres.js'
import { callApi } from '../../verifier/e2e/client.js'
import type { Running } from '../../verifier/e2e/processes.js'
import { startDeployApi } from '../../verifier/e2e/processes.js'
import { build, call, startPostgresInstance, tempDataDir } from './helpers.js'

describePostgres('two token-service instances on one PostgreSQL (#17)', () => {
  const running: Running[] = []
  let db: PostgresDatabase
  let a: Running
  let b: Running
  let keyring: string

  beforeAll(async () => {
    build()
    db = await createPostgresDatabase()
    const dirA = tempDataDir()
    keyring = join(dirA, 'keyring.json')
    a = await startPostgresInstance(db.url, dirA)
    running.push(a)
    b = await startPostgresInstance(db.url, tempDataDir(), keyring)
    running.push(b)
  }, 120_000)

  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()))
    if (db !== undefined) await dropPostgresDatabase(db)
  })

  let n = 0
  const register = async (via: Running): Promise<string> => {
    n++
    const res = await call(via.url, 'POST', '/v1/users', {
      body: { email: `pg${n}@example.com`, password: 'correct horse battery staple' },
    })
    expect(res.status).toBe(201)
    return res.body.token as string
  }
  const createKey = async (via: Running, token: string, name: string, caveats: string[] = []) => {
    const res = await call(via.url, 'POST', '/v1/tokens', { token, body: { name, caveats } })
    expect(res.status).toBe(201)
    return res.body as { token: string; key: { id: string } }
  }

  it('both report healthy; a key created through A is listed through B', async () => {
    expect((await call(a.url, 'GET', '/healthz')).status).toBe(200)
    expect((await call(b.url, 'GET', '/healthz')).status).toBe(200)
    const root = await register(a)
    const created = await createKey(a, root, 'made on A')
    const listed = await call(b.url, 'GET', '/v1/tokens', { token: root })
    expect(listed.status).toBe(200)
    expect((listed.body.keys as { id: string }[]).map((k) => k.id)).toContain(created.key.id)
  })

  it('a revocation through A answers a long-poll held on B within milliseconds', async () => {
    const root = await register(a)
    const victim = await createKey(a, root, 'victim')
    const start = await call(b.url, 'GET', '/v1/revocations', { token: root })
    const cursor = start.body.cursor as string
    const poll = call(b.url, 'GET', `/v1/revocations?since=${encodeURIComponent(cursor)}&wait=20`, {
      token: root,
    }).then((res) => ({ res, at: performance.now() }))
    await new Promise((r) => setTimeout(r, 300)) // the long-poll is parked on B
    const revoked = await call(a.url, 'POST', '/v1/revocations', { body: { token: victim.token } })
    const committedAt = performance.now()
    expect(revoked.status).toBe(200)
    const { res, at } = await poll
    expect(res.status).toBe(200)
    expect((res.body.entries as { token_id: string }[]).map((e) => e.token_id)).toEqual([victim.key.id])
    // "within milliseconds" — the bound here leaves room for a loaded 2-core CI machine
    expect(at - committedAt).toBeLessThan(1000)
    // B's own API refuses the revoked key too
    expect((await call(b.url, 'GET', '/v1/whoami', { token: victim.token })).body.code).toBe('token_revoked')
  })

  it('a verifier long-polling B refuses a token revoked through A', async () => {
    const root = await register(a)
    const serviceToken = (await createKey(a, root, 'verifier')).token
    const ci = await createKey(a, root, 'ci', ['org = acme', 'app = web', 'ops = deploy'])
    const api = await startDeployApi({ server: b.url, serviceToken, keyring })
    running.push(api)
    const deploy = () => callApi(api.url, 'POST', '/orgs/acme/apps/web/deploys', ci.token)
    // the verifier answers 503 until its first feed sync through B
    const ready = performance.now()
    let first = await deploy()
    while (first.status === 503 && performance.now() - ready < 10_000) {
      await new Promise((r) => setTimeout(r, 50))
      first = await deploy()
    }
    expect(first.status, `${JSON.stringify(first.body)}\n${api.output()}`).toBe(201)
    await call(a.url, 'POST', '/v1/revocations', { body: { token: ci.token } })
    const started = performance.now()
    for (;;) {
      const out = await deploy()
      if (out.status === 401) {
        expect(out.code).toBe('token_revoked')
        break
      }
      if (performance.now() - started > 5000) throw new Error('the verifier still accepts the revoked token')
      await new Promise((r) => setTimeout(r, 10))
    }
  })

  it('last-key protection holds when A and B revoke the last two keys at the same moment', async () => {
    for (let round = 0; round < 3; round++) {
      const first = await register(a)
      const second = await createKey(a, first, 'second')
      const firstId = ((await call(a.url, 'GET', '/v1/whoami', { token: first })).body.key as { id: string })
        .id
      const [viaA, viaB] = await Promise.all([
        call(a.url, 'DELETE', `/v1/tokens/${firstId}`, { token: first }),
        call(b.url, 'DELETE', `/v1/tokens/${second.key.id}`, { token: second.token }),
      ])
      expect([viaA.status, viaB.status].sort()).toEqual([200, 409])
      expect([viaA.body.code, viaB.body.code]).toContain('last_key_protected')
      const survivor = viaA.status === 409 ? first : second.token
      const listed = await call(b.url, 'GET', '/v1/tokens', { token: survivor })
      expect((listed.body.keys as { status: string }[]).filter((k) => k.status === 'active')).toHaveLength(1)
    }
  })
})
