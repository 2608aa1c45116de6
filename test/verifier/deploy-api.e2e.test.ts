/**
 * End to end, with real processes on loopback ports: the token service (`dist/src/server/main.js`)
 * and the example deploy API (`dist/examples/deploy-api/main.js`) in local mode (key ring file) and
 * remote mode (`POST /v1/verify`). @see issue #5
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attenuate, generateKeyRing, mintRootToken } from '../../src/token/index.js'
import { callApi, type Outcome, TokenServiceClient } from './e2e/client.js'
import { build, ROOT, type Running, startDeployApi, startTokenService, tempDataDir } from './e2e/processes.js'

const PAST = '2020-01-01T00:00:00Z'
const FUTURE = '2099-01-01T00:00:00Z'

/** Polls `fn` until it returns true; returns the time it took, or throws after `timeoutMs`. */
async function within(timeoutMs: number, fn: () => Promise<boolean>): Promise<number> {
  const started = performance.now()
  for (;;) {
    if (await fn()) return performance.now() - started
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('deploy API with the real token service', () => {
  const running: Running[] = []
  let service: Running
  let api: TokenServiceClient
  let local: Running
  let remote: Running
  let root: string
  let ci: string

  beforeAll(async () => {
    build()
    const dataDir = tempDataDir()
    service = await startTokenService(dataDir)
    running.push(service)
    api = new TokenServiceClient(service.url)
    const svc = await api.register('deploy-api@example.com')
    const serviceToken = (await api.createToken(svc.token, 'deploy-api service')).token
    root = (await api.register('dev@acme.example')).token
    ci = (await api.createToken(root, 'ci', ['org = acme', 'app = web', 'ops = deploy'], '30d')).token
    ;[local, remote] = await Promise.all([
      startDeployApi({ server: service.url, serviceToken, keyring: join(dataDir, 'keyring.json') }),
      startDeployApi({ server: service.url, serviceToken }),
    ])
    running.push(local, remote)
  }, 180_000)

  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()))
  })

  /** The cases every mode must agree on: [name, method, path, token, headers, status, code]. */
  function cases(): [
    string,
    string,
    string,
    string | undefined,
    Record<string, string>,
    number,
    string | undefined,
  ][] {
    const readOnly = attenuate(root, ['ops = read'])
    const foreign = mintRootToken({
      ring: generateKeyRing(),
      userId: 'usr_stranger',
      caveats: [`expires = ${FUTURE}`],
    })
    return [
      ['root reads', 'GET', '/orgs/acme/apps/web/status', root, {}, 200, undefined],
      ['root deletes', 'DELETE', '/orgs/beta/apps/tmp', root, {}, 200, undefined],
      ['ci deploys acme/web', 'POST', '/orgs/acme/apps/web/deploys', ci, {}, 201, undefined],
      ['ci may not read (ops)', 'GET', '/orgs/acme/apps/web/status', ci, {}, 403, 'insufficient_scope'],
      ['ci may not delete (ops)', 'DELETE', '/orgs/acme/apps/web', ci, {}, 403, 'insufficient_scope'],
      ['ci: wrong app', 'POST', '/orgs/acme/apps/api/deploys', ci, {}, 403, 'insufficient_scope'],
      ['ci: wrong org', 'POST', '/orgs/beta/apps/web/deploys', ci, {}, 403, 'insufficient_scope'],
      ['read-only reads', 'GET', '/orgs/acme/apps/web/status', readOnly, {}, 200, undefined],
      ['read-only may not write', 'DELETE', '/orgs/acme/apps/web', readOnly, {}, 403, 'insufficient_scope'],
      [
        'read-only may not deploy',
        'POST',
        '/orgs/acme/apps/web/deploys',
        readOnly,
        {},
        403,
        'insufficient_scope',
      ],
      [
        'org caveat',
        'GET',
        '/orgs/beta/apps/web/status',
        attenuate(root, ['org = acme']),
        {},
        403,
        'insufficient_scope',
      ],
      [
        'app caveat',
        'GET',
        '/orgs/acme/apps/api/status',
        attenuate(root, ['app = web']),
        {},
        403,
        'insufficient_scope',
      ],
      [
        'ops narrowed twice',
        'POST',
        '/orgs/acme/apps/web/deploys',
        attenuate(ci, ['ops = read']),
        {},
        403,
        'insufficient_scope',
      ],
      [
        'expired',
        'GET',
        '/orgs/acme/apps/web/status',
        attenuate(root, [`expires = ${PAST}`]),
        {},
        401,
        'token_expired',
      ],
      [
        'expires later',
        'GET',
        '/orgs/acme/apps/web/status',
        attenuate(root, [`expires = ${FUTURE}`]),
        {},
        200,
        undefined,
      ],
      [
        'not yet valid',
        'GET',
        '/orgs/acme/apps/web/status',
        attenuate(root, [`not-before = ${FUTURE}`]),
        {},
        401,
        'token_expired',
      ],
      [
        'not-before passed',
        'GET',
        '/orgs/acme/apps/web/status',
        attenuate(root, [`not-before = ${PAST}`]),
        {},
        200,
        undefined,
      ],
      [
        'device declared',
        'POST',
        '/orgs/acme/apps/web/deploys',
        attenuate(ci, ['device = ci-runner']),
        { 'Crumb-Device': 'ci-runner' },
        201,
        undefined,
      ],
      [
        'other device',
        'POST',
        '/orgs/acme/apps/web/deploys',
        attenuate(ci, ['device = ci-runner']),
        { 'Crumb-Device': 'laptop-7' },
        403,
        'caveat_failed',
      ],
      [
        'no device declared',
        'POST',
        '/orgs/acme/apps/web/deploys',
        attenuate(ci, ['device = ci-runner']),
        {},
        403,
        'caveat_failed',
      ],
      [
        'ip in range',
        'GET',
        '/orgs/acme/apps/web/status',
        attenuate(root, ['ip = 127.0.0.1']),
        {},
        200,
        undefined,
      ],
      [
        'ip elsewhere',
        'GET',
        '/orgs/acme/apps/web/status',
        attenuate(root, ['ip = 203.0.113.0/24']),
        {},
        403,
        'caveat_failed',
      ],
      ['no token', 'GET', '/orgs/acme/apps/web/status', undefined, {}, 401, 'invalid_token'],
      ['garbage', 'GET', '/orgs/acme/apps/web/status', 'crumb_notatoken', {}, 401, 'invalid_token'],
      ['another ring', 'GET', '/orgs/acme/apps/web/status', foreign.token, {}, 401, 'invalid_token'],
      [
        'tampered',
        'GET',
        '/orgs/acme/apps/web/status',
        `${root.slice(0, -2)}${root.endsWith('AA') ? 'BB' : 'AA'}`,
        {},
        401,
        'invalid_token',
      ],
      ['X-API-Key', 'GET', '/orgs/acme/apps/web/status', undefined, { 'X-API-Key': root }, 200, undefined],
    ]
  }

  async function outcomes(base: string): Promise<Record<string, [number, string | undefined]>> {
    const out: Record<string, [number, string | undefined]> = {}
    for (const [name, method, path, token, headers] of cases()) {
      const res = await callApi(base, method, path, token, headers)
      out[name] = [res.status, res.code]
    }
    return out
  }

  it('is importable as the crumb/express subpath, namespace style', () => {
    const script =
      "import * as crumb from 'crumb/express'; " +
      'console.log(typeof crumb.verifier, typeof crumb.require, typeof crumb.requireScope)'
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    expect(out.trim()).toBe('function function function')
  })

  it('serves /healthz without a token', async () => {
    const res = await callApi(local.url, 'GET', '/healthz')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ ok: true, verifier: { mode: 'local', stale: false } })
  })

  it('enforces every caveat kind through HTTP (local mode)', async () => {
    const expected = Object.fromEntries(cases().map(([name, , , , , status, code]) => [name, [status, code]]))
    expect(await outcomes(local.url)).toEqual(expected)
  })

  it('remote mode agrees with local mode on the same cases', async () => {
    const [l, r] = [await outcomes(local.url), await outcomes(remote.url)]
    expect(r).toEqual(l)
    // Again, now from the warm cache.
    expect(await outcomes(remote.url)).toEqual(l)
  })

  it('answers problem+json: 401 with WWW-Authenticate, 403 naming the caveat, never the token', async () => {
    for (const base of [local.url, remote.url]) {
      const unauthorized = await callApi(base, 'GET', '/orgs/acme/apps/web/status', 'crumb_notatoken')
      // #19: the example publishes protected-resource metadata, and its 401s point to it.
      expect(unauthorized.headers.get('www-authenticate')).toBe(
        `Bearer error="invalid_token", resource_metadata="${base}/.well-known/oauth-protected-resource"`,
      )
      expect(unauthorized.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(unauthorized.body).toMatchObject({
        type: 'urn:crumb:problem:invalid_token',
        title: expect.any(String),
        status: 401,
      })
      const token = attenuate(ci, ['ip = 203.0.113.0/24'])
      const forbidden = await callApi(base, 'POST', '/orgs/acme/apps/web/deploys', token)
      expect(forbidden.status).toBe(403)
      expect((forbidden.body as { detail: string }).detail).toContain('ip = 203.0.113.0/24')
      expect(JSON.stringify(forbidden.body)).not.toContain(token.slice(6, 40))
    }
  })

  it('serves protected-resource metadata and checks aud against its own URL, in both modes (#19)', async () => {
    for (const [base, other] of [
      [local.url, remote.url],
      [remote.url, local.url],
    ] as const) {
      const meta = await callApi(base, 'GET', '/.well-known/oauth-protected-resource')
      expect(meta.status).toBe(200)
      expect(meta.body).toEqual({
        resource: base,
        authorization_servers: [service.url],
        bearer_methods_supported: ['header'],
        scopes_supported: ['read', 'write', 'deploy'],
        resource_name: 'deploy-api (crumb example)',
      })
      const mine = await callApi(
        base,
        'GET',
        '/orgs/acme/apps/web/status',
        attenuate(root, [`aud = ${base}`]),
      )
      expect(mine.status).toBe(200)
      const theirs = await callApi(
        base,
        'GET',
        '/orgs/acme/apps/web/status',
        attenuate(root, [`aud = ${other}`]),
      )
      expect([theirs.status, theirs.code]).toEqual([403, 'caveat_failed'])
    }
  })

  it('refuses a revoked attenuated token on the next request after the feed delivers; siblings still work', async () => {
    const parent = (await api.createToken(root, 'revoke-me', ['org = acme'])).token
    const a = attenuate(parent, ['app = web'])
    const aChild = attenuate(a, ['ops = read'])
    const b = attenuate(parent, ['app = api'])
    const check = async (token: string, app: string): Promise<Outcome[]> =>
      Promise.all(
        [local.url, remote.url].map((base) => callApi(base, 'GET', `/orgs/acme/apps/${app}/status`, token)),
      )
    for (const [t, app] of [
      [a, 'web'],
      [aChild, 'web'],
      [b, 'api'],
    ] as const) {
      expect((await check(t, app)).map((o) => o.status)).toEqual([200, 200])
    }

    await api.revoke(a)
    const took = await within(3_000, async () =>
      (await check(a, 'web')).every((o) => o.status === 401 && o.code === 'token_revoked'),
    )
    expect(took).toBeLessThan(2_000)
    expect((await check(aChild, 'web')).map((o) => o.code)).toEqual(['token_revoked', 'token_revoked'])
    expect((await check(b, 'api')).map((o) => o.status)).toEqual([200, 200])
    expect((await check(parent, 'web')).map((o) => o.status)).toEqual([200, 200])

    // Revoking the root token (the key itself) kills everything derived from it.
    await api.revoke(parent)
    await within(2_000, async () => (await check(b, 'api')).every((o) => o.code === 'token_revoked'))
    expect((await check(parent, 'web')).map((o) => o.code)).toEqual(['token_revoked', 'token_revoked'])
    // Other keys of the same user are unaffected.
    expect((await check(root, 'web')).map((o) => o.status)).toEqual([200, 200])
  })

  it('reports usage: the key shows last used with IP and user agent', async () => {
    const key = await api.createToken(root, 'usage-probe', ['ops = read'])
    const res = await callApi(
      local.url,
      'GET',
      '/orgs/acme/apps/web/status',
      attenuate(key.token, ['app = web']),
      {
        'User-Agent': 'e2e-probe/1.0',
      },
    )
    expect(res.status).toBe(200)
    await within(10_000, async () => {
      const listed = (await api.listTokens(root)).find((k) => k.id === key.key.id)
      return listed?.last_used_at != null
    })
    const listed = (await api.listTokens(root)).find((k) => k.id === key.key.id)
    expect(listed).toMatchObject({ last_used_ip: '127.0.0.1', last_used_user_agent: 'e2e-probe/1.0' })

    const viaRemote = await api.createToken(root, 'usage-probe-remote', ['ops = read'])
    await callApi(remote.url, 'GET', '/orgs/acme/apps/web/status', viaRemote.token, {
      'User-Agent': 'e2e-remote/2.0',
    })
    await within(10_000, async () => {
      const k = (await api.listTokens(root)).find((x) => x.id === viaRemote.key.id)
      return k?.last_used_user_agent === 'e2e-remote/2.0'
    })
  })
})

describe('feed outage', () => {
  const running: Running[] = []
  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()))
  })

  it('refuses with 503 revocation_list_stale past maxStaleness, and recovers after the service restarts', async () => {
    const dataDir = tempDataDir()
    let service = await startTokenService(dataDir)
    running.push(service)
    const api = new TokenServiceClient(service.url)
    const root = (await api.register('ops@acme.example')).token
    const serviceToken = (await api.createToken(root, 'svc')).token
    const apis = await Promise.all([
      startDeployApi({
        server: service.url,
        serviceToken,
        keyring: join(dataDir, 'keyring.json'),
        maxStaleness: '2s',
      }),
      startDeployApi({ server: service.url, serviceToken, maxStaleness: '2s' }),
    ])
    running.push(...apis)
    const status = (base: string): Promise<Outcome> =>
      callApi(base, 'GET', '/orgs/acme/apps/web/status', root)
    for (const base of apis.map((a) => a.url)) expect((await status(base)).status).toBe(200)

    await service.stop()
    for (const base of apis.map((a) => a.url)) {
      await within(6_000, async () => (await status(base)).code === 'revocation_list_stale')
      const res = await status(base)
      expect(res.status).toBe(503)
      expect((await callApi(base, 'GET', '/healthz')).body).toMatchObject({ verifier: { stale: true } })
    }

    service = await startTokenService(dataDir, service.port)
    running.push(service)
    for (const base of apis.map((a) => a.url)) {
      await within(15_000, async () => (await status(base)).status === 200)
    }
  })
})
