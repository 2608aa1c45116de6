/**
 * #20 end to end, with real processes on loopback: the token service, a real OIDC issuer
 * (test/helpers/oidc-issuer.ts), the example deploy API (local mode) and the CLI. A simulated CI job
 * deploys with nothing stored: `crumb exchange` fetches the job's ID token from a fake
 * ACTIONS_ID_TOKEN_REQUEST_URL, trades it for a crumb token, and the deploy goes through.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { SignJWT, UnsecuredJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inspectToken } from '../../src/token/index.js'
import { isolatedEnv, runCli } from '../cli/helpers.js'
import { type OidcIssuer, startOidcIssuer } from '../helpers/oidc-issuer.js'
import { engineEnv } from '../helpers/test-engine.js'
import { callApi as callDeploy, TokenServiceClient } from '../verifier/e2e/client.js'
import {
  build,
  type Running,
  SERVER_MAIN,
  startDeployApi,
  startProcess,
  tempDataDir,
} from '../verifier/e2e/processes.js'

const AUDIENCE = 'https://crumb.test'

interface Answer {
  status: number
  body: Record<string, unknown>
}

let service: Running
let deploy: Running
let idp: OidcIssuer
let idp2: OidcIssuer
let client: TokenServiceClient
let owner: string
let dataDir: string
const running: Running[] = []

async function call(method: string, path: string, body?: unknown, token?: string): Promise<Answer> {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> }
}

function exchange(idToken: string, policyId?: string): Promise<Answer> {
  return call('POST', '/v1/auth/oidc', {
    id_token: idToken,
    ...(policyId === undefined ? {} : { policy_id: policyId }),
  })
}

function policyBody(issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'deploy web from main',
    issuer,
    audience: AUDIENCE,
    conditions: { repository: 'acme/web', ref: 'refs/heads/main' },
    caveats: ['org = acme', 'app = web', 'ops = deploy'],
    ttl: '10m',
    ...extra,
  }
}

let policyId: string

beforeAll(async () => {
  build()
  dataDir = tempDataDir()
  ;[idp, idp2] = await Promise.all([
    startOidcIssuer({ audience: AUDIENCE }),
    startOidcIssuer({ audience: AUDIENCE }),
  ])
  service = await startProcess(
    SERVER_MAIN,
    {
      PORT: '0',
      HOST: '127.0.0.1',
      CRUMB_DATA_DIR: dataDir,
      CRUMB_LOG_LEVEL: 'warn',
      CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS: 'true',
      CRUMB_KEY_CREATE_LIMIT: '10000',
      CRUMB_REGISTER_LIMIT: '10000',
      ...(await engineEnv(dataDir)),
    },
    { name: 'token service' },
  )
  running.push(service)
  client = new TokenServiceClient(service.url)
  owner = (await client.register('owner@acme.example')).token
  const serviceUser = (await client.register('deploy-api@acme.example')).token
  const serviceToken = (await client.createToken(serviceUser, 'deploy-api service')).token
  deploy = await startDeployApi({ server: service.url, serviceToken, keyring: join(dataDir, 'keyring.json') })
  running.push(deploy)
  const created = await call('POST', '/v1/trust-policies', policyBody(idp.issuer), owner)
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  policyId = (created.body.policy as { id: string }).id
}, 180_000)

afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()))
  await Promise.all([idp.stop(), idp2.stop()])
})

describe('trust policies (#20)', () => {
  it('are listed with their workload key, which is listed like any key', async () => {
    const list = await call('GET', '/v1/trust-policies', undefined, owner)
    expect(list.status).toBe(200)
    const [policy] = list.body.policies as Record<string, unknown>[]
    expect(policy).toMatchObject({
      id: policyId,
      issuer: idp.issuer,
      audience: AUDIENCE,
      conditions: { repository: 'acme/web', ref: 'refs/heads/main' },
      caveats: ['org = acme', 'app = web', 'ops = deploy'],
      ttl: '10m',
    })
    const keys = await call('GET', '/v1/tokens', undefined, owner)
    const key = (keys.body.keys as { id: string; source: string }[]).find((k) => k.id === policy?.key_id)
    expect(key?.source).toBe('workload')
  })

  it('need an unrestricted key, a condition besides iss/aud, a TTL of at most 1h', async () => {
    const restricted = (await client.createToken(owner, 'read only', ['ops = read,write'])).token
    expect((await call('POST', '/v1/trust-policies', policyBody(idp.issuer), restricted)).body.code).toBe(
      'insufficient_scope',
    )
    expect((await call('POST', '/v1/trust-policies', policyBody(idp.issuer))).status).toBe(401)
    const bad = await call(
      'POST',
      '/v1/trust-policies',
      policyBody(idp.issuer, { conditions: { aud: AUDIENCE } }),
      owner,
    )
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed'])
    const long = await call('POST', '/v1/trust-policies', policyBody(idp.issuer, { ttl: '2h' }), owner)
    expect([long.status, long.body.code]).toEqual([400, 'validation_failed'])
    const http = await call('POST', '/v1/trust-policies', policyBody('http://issuer.example'), owner)
    expect([http.status, http.body.code]).toEqual([400, 'validation_failed'])
  })
})

describe('POST /v1/auth/oidc (#20)', () => {
  it('a matching ID token → a crumb token with the policy caveats and an expiry within the TTL, good for its scope only', async () => {
    const before = Date.now()
    const answer = await exchange(await idp.sign())
    expect(answer.status, JSON.stringify(answer.body)).toBe(201)
    const token = String(answer.body.token)
    expect(answer.body.policy_id).toBe(policyId)
    const expiresAt = Date.parse(String(answer.body.expires_at))
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 10 * 60_000)
    expect(expiresAt).toBeGreaterThan(before + 9 * 60_000)
    const scope = inspectToken(token)
    const texts = scope.caveats.map((c) => c.text)
    expect(texts).toEqual(expect.arrayContaining(['org = acme', 'app = web', 'ops = deploy']))
    expect(texts.at(-1)).toMatch(/^expires = /)
    const deployed = await callDeploy(deploy.url, 'POST', '/orgs/acme/apps/web/deploys', token)
    expect(deployed.status, `${JSON.stringify(deployed.body)}\n${deploy.output()}`).toBe(201)
    expect((await callDeploy(deploy.url, 'POST', '/orgs/acme/apps/api/deploys', token)).status).toBe(403)
    expect((await callDeploy(deploy.url, 'GET', '/orgs/acme/apps/web/status', token)).status).toBe(403)
    // the exchanged token cannot manage the account
    expect(
      (await call('POST', '/v1/trust-policies', policyBody(idp.issuer), token)).status,
    ).toBeGreaterThanOrEqual(401)
  })

  it('refuses a replayed jti', async () => {
    const idToken = await idp.sign()
    expect((await exchange(idToken)).status).toBe(201)
    const again = await exchange(idToken)
    expect([again.status, again.body.code]).toEqual([401, 'invalid_token'])
  })

  it('refuses what the policy does not admit (403 no_matching_policy) and bad JWTs (401 invalid_token)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const stray = await idp.strayKey('RS256')
    const ec = await idp.strayKey('ES256')
    const claims = JSON.parse(
      Buffer.from((await idp.sign()).split('.')[1] ?? '', 'base64url').toString('utf8'),
    )
    const cases: [string, Promise<string>, number, string][] = [
      [
        'wrong repository',
        idp.sign({ repository: 'acme/evil', sub: 'repo:acme/evil:ref:refs/heads/main' }),
        403,
        'no_matching_policy',
      ],
      ['wrong branch', idp.sign({ ref: 'refs/heads/dev' }), 403, 'no_matching_policy'],
      ['wrong audience', idp.sign({ aud: 'https://elsewhere.test' }), 401, 'invalid_token'],
      ['expired', idp.sign({ exp: now - 600, iat: now - 900, nbf: now - 900 }), 401, 'invalid_token'],
      ['not yet valid', idp.sign({ nbf: now + 600, exp: now + 900 }), 401, 'invalid_token'],
      [
        'bad signature',
        idp.sign({}, { key: stray, header: { kid: idp.signingKey.kid } }),
        401,
        'invalid_token',
      ],
      ['alg none', Promise.resolve(new UnsecuredJWT(claims).encode()), 401, 'invalid_token'],
      [
        'HS256 with the public key',
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: idp.signingKey.kid })
          .sign(new TextEncoder().encode(idp.signingKey.publicPem)),
        401,
        'invalid_token',
      ],
      [
        'alg of another key',
        idp.sign({}, { key: ec, header: { kid: idp.signingKey.kid } }),
        401,
        'invalid_token',
      ],
      ['unknown kid', idp.sign({}, { key: stray }), 401, 'invalid_token'],
      [
        'unknown issuer',
        idp.sign({ iss: 'https://token.actions.githubusercontent.com' }),
        403,
        'no_matching_policy',
      ],
      ['not a JWT', Promise.resolve('hello'), 401, 'invalid_token'],
    ]
    for (const [name, token, status, code] of cases) {
      const answer = await exchange(await token)
      expect([name, answer.status, answer.body.code]).toEqual([name, status, code])
    }
  })

  it('answers 401, never a 5xx and without hanging, when the issuer is down or answers garbage or 10 MB', async () => {
    const second = await call(
      'POST',
      '/v1/trust-policies',
      policyBody(idp2.issuer, { name: 'second issuer' }),
      owner,
    )
    expect(second.status).toBe(201)
    for (const mode of ['garbage', 'huge', 'huge-declared', 'error'] as const) {
      idp2.mode = mode
      const started = Date.now()
      const answer = await exchange(await idp2.sign())
      expect([mode, answer.status, answer.body.code]).toEqual([mode, 401, 'invalid_token'])
      expect(Date.now() - started).toBeLessThan(15_000)
    }
    const token = await idp2.sign()
    await idp2.stop()
    const down = await exchange(token)
    expect([down.status, down.body.code]).toEqual([401, 'invalid_token'])
  })

  it('audits each exchange with the matched claims and the IP', async () => {
    const answer = await exchange(await idp.sign({ run_id: '555' }))
    expect(answer.status).toBe(201)
    const audit = await call('GET', '/v1/audit', undefined, owner)
    const events = audit.body.events as {
      event: string
      ip: string | null
      detail?: Record<string, unknown>
    }[]
    const exchanged = events.find((e) => e.event === 'exchanged')
    expect(exchanged).toBeDefined()
    expect(exchanged?.ip).toBe('127.0.0.1')
    const text = JSON.stringify(exchanged)
    for (const part of ['repo:acme/web:ref:refs/heads/main', 'acme/web', 'refs/heads/main', '555']) {
      expect(text).toContain(part)
    }
  })
})

describe('a CI job with nothing stored (#20)', () => {
  let runner: Server
  let runnerUrl: string

  beforeAll(async () => {
    runner = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      if (req.headers.authorization !== 'bearer job-request-token') {
        res.writeHead(403).end()
        return
      }
      void idp.sign({ aud: url.searchParams.get('audience') ?? 'https://github.com/acme' }).then((value) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value }))
      })
    })
    await new Promise<void>((resolve) => runner.listen(0, '127.0.0.1', resolve))
    runnerUrl = `http://127.0.0.1:${(runner.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise((resolve) => runner.close(resolve))
  })

  it('crumb exchange on "GitHub Actions" prints a token that deploys acme/web; deleting the policy ends it', async () => {
    const env = isolatedEnv(dataDir, {
      CRUMB_SERVER: service.url,
      ACTIONS_ID_TOKEN_REQUEST_URL: `${runnerUrl}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'job-request-token',
    })
    const result = await runCli(['exchange', '--audience', AUDIENCE], env)
    expect(result.code, result.stderr).toBe(0)
    const token = result.stdout.trim()
    expect(token).toMatch(/^crumb_/)
    expect((await callDeploy(deploy.url, 'POST', '/orgs/acme/apps/web/deploys', token)).status).toBe(201)

    const gone = await call('DELETE', `/v1/trust-policies/${policyId}`, undefined, owner)
    expect(gone.status).toBe(200)
    const deadline = Date.now() + 10_000
    let status = 0
    while (Date.now() < deadline) {
      status = (await callDeploy(deploy.url, 'POST', '/orgs/acme/apps/web/deploys', token)).status
      if (status === 401) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(status).toBe(401)
    const after = await runCli(['exchange', '--audience', AUDIENCE], env)
    expect(after.code).toBe(1)
    expect(after.stderr).toMatch(/^no_matching_policy: /)
  })
})
