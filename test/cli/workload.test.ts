import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ensureBuilt, isolatedEnv, runCli } from './helpers.js'

// #20: `crumb exchange` and `crumb trust` as subprocesses, against loopback fakes of the token
// service and of the GitHub Actions runner's ID token service (ACTIONS_ID_TOKEN_REQUEST_URL).

interface Seen {
  method: string
  url: string
  authorization: string | undefined
  body: unknown
}

const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3VlciJ9.c2lnbmF0dXJl'
const CRUMB_TOKEN = `crumb_${'A'.repeat(60)}`
const REQUEST_TOKEN = 'runner-request-token-123'
const POLICY = {
  id: 'tp_1',
  name: 'deploy web',
  issuer: 'https://token.actions.githubusercontent.com',
  audience: 'https://crumb.test',
  conditions: { repository: 'acme/web', ref: 'refs/heads/main' },
  caveats: ['org = acme', 'app = web', 'ops = deploy'],
  ttl: '15m',
  key_id: 'tok_1',
  created_at: '2026-12-01T00:00:00Z',
  last_exchanged_at: null,
}

let seen: Seen[] = []
let service: Server
let runner: Server
let serviceUrl: string
let runnerUrl: string
let home: string

async function body(req: IncomingMessage): Promise<unknown> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text === '' ? undefined : (JSON.parse(text) as unknown)
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  ensureBuilt()
  home = await mkdtemp(join(tmpdir(), 'crumb-cli-workload-'))
  service = createServer(async (req, res) => {
    const entry = {
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      body: await body(req),
    }
    seen.push(entry)
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
    }
    if (entry.method === 'POST' && entry.url === '/v1/auth/oidc') {
      const idToken = (entry.body as { id_token?: string }).id_token
      if (idToken !== ID_TOKEN) {
        res.writeHead(401, { 'content-type': 'application/problem+json' })
        res.end(
          JSON.stringify({
            type: 'urn:crumb:problem:invalid_token',
            title: 'Invalid token',
            status: 401,
            code: 'invalid_token',
            detail: 'bad JWT',
          }),
        )
        return
      }
      json(201, {
        token: CRUMB_TOKEN,
        expires_at: new Date(Date.now() + 900_000).toISOString(),
        policy_id: 'tp_1',
      })
    } else if (entry.method === 'POST' && entry.url === '/v1/trust-policies') {
      json(201, { policy: { ...POLICY, ...(entry.body as object) } })
    } else if (entry.method === 'GET' && entry.url === '/v1/trust-policies') {
      json(200, { policies: [POLICY] })
    } else if (entry.method === 'DELETE' && entry.url === '/v1/trust-policies/tp_1') {
      json(200, { policy: POLICY })
    } else {
      json(404, { code: 'not_found', status: 404, title: 'Not found', detail: 'no route' })
    }
  })
  runner = createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      body: undefined,
    })
    if (req.headers.authorization !== `bearer ${REQUEST_TOKEN}`) {
      res.writeHead(401).end('{}')
      return
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ count: 1, value: ID_TOKEN }))
  })
  serviceUrl = await listen(service)
  runnerUrl = await listen(runner)
})

beforeEach(() => {
  seen = []
})

afterAll(async () => {
  await new Promise((resolve) => service.close(resolve))
  await new Promise((resolve) => runner.close(resolve))
  await rm(home, { recursive: true, force: true })
})

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return isolatedEnv(home, { CRUMB_SERVER: serviceUrl, ...extra })
}

describe('crumb exchange (#20)', () => {
  it('on GitHub Actions fetches the ID token from the runner with &audience= and prints the crumb token alone', async () => {
    const result = await runCli(
      ['exchange', '--audience', 'https://crumb.test'],
      env({
        ACTIONS_ID_TOKEN_REQUEST_URL: `${runnerUrl}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
      }),
    )
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe(`${CRUMB_TOKEN}\n`)
    const [toRunner, toService] = seen
    expect(toRunner?.url).toBe(`/token?api-version=2.0&audience=${encodeURIComponent('https://crumb.test')}`)
    expect(toRunner?.authorization).toBe(`bearer ${REQUEST_TOKEN}`)
    expect(toService).toMatchObject({ method: 'POST', url: '/v1/auth/oidc', authorization: undefined })
    expect(toService?.body).toEqual({ id_token: ID_TOKEN })
    // neither the runner's request token nor the ID token is ever printed
    expect(result.stderr).not.toContain(REQUEST_TOKEN)
    expect(result.stderr + result.stdout).not.toContain(ID_TOKEN)
  })

  it('reads the ID token from a file or stdin, passes --policy, and prints JSON with --json', async () => {
    const file = join(home, 'id-token')
    await writeFile(file, `${ID_TOKEN}\n`)
    const fromFile = await runCli(['exchange', '--id-token-file', file, '--policy', 'tp_1', '--json'], env())
    expect(fromFile.code, fromFile.stderr).toBe(0)
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ token: CRUMB_TOKEN, policy_id: 'tp_1' })
    expect(seen[0]?.body).toEqual({ id_token: ID_TOKEN, policy_id: 'tp_1' })
    const fromStdin = await runCli(['exchange', '-'], env(), { input: `${ID_TOKEN}\n` })
    expect(fromStdin.code, fromStdin.stderr).toBe(0)
    expect(fromStdin.stdout).toBe(`${CRUMB_TOKEN}\n`)
  })

  it('fails in one line with the server’s code when the exchange is refused', async () => {
    const other = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln'
    const result = await runCli(['exchange', '-'], env(), { input: other })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^invalid_token: /)
    expect(result.stdout).toBe('')
  })

  it('is a usage error with no ID token anywhere, or a file that holds none', async () => {
    const none = await runCli(['exchange'], env())
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^usage_error: no ID token/)
    const file = join(home, 'not-a-jwt')
    await writeFile(file, 'hello')
    const bad = await runCli(['exchange', '--id-token-file', file], env())
    expect(bad.code).toBe(2)
    expect(seen).toEqual([])
  })

  it('reports a runner that refuses (no id-token permission)', async () => {
    const result = await runCli(
      ['exchange'],
      env({
        ACTIONS_ID_TOKEN_REQUEST_URL: `${runnerUrl}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong',
      }),
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('id-token: write')
  })
})

describe('crumb trust (#20)', () => {
  const auth = { CRUMB_TOKEN: CRUMB_TOKEN }

  it('create sends the policy with its conditions, caveats and ttl', async () => {
    const result = await runCli(
      [
        'trust',
        'create',
        '--name',
        'deploy web',
        '--issuer',
        POLICY.issuer,
        '--audience',
        POLICY.audience,
        '--claim',
        'repository=acme/web',
        '--claim',
        'ref=refs/heads/*',
        '--org',
        'acme',
        '--app',
        'web',
        '--ops',
        'deploy',
        '--ttl',
        '10m',
        '--json',
      ],
      env(auth),
    )
    expect(result.code, result.stderr).toBe(0)
    expect(seen[0]?.authorization).toBe(`Bearer ${CRUMB_TOKEN}`)
    expect(seen[0]?.body).toEqual({
      name: 'deploy web',
      issuer: POLICY.issuer,
      audience: POLICY.audience,
      conditions: { repository: 'acme/web', ref: 'refs/heads/*' },
      caveats: ['org = acme', 'app = web', 'ops = deploy'],
      ttl: '10m',
    })
    expect(JSON.parse(result.stdout).policy.id).toBe('tp_1')
  })

  it('create needs a --claim and well-formed ones', async () => {
    const base = ['trust', 'create', '--name', 'x', '--issuer', POLICY.issuer, '--audience', 'a']
    expect((await runCli(base, env(auth))).code).toBe(2)
    expect((await runCli([...base, '--claim', 'no-equals-sign'], env(auth))).code).toBe(2)
    expect(seen).toEqual([])
  })

  it('ls lists and rm deletes', async () => {
    const ls = await runCli(['trust', 'ls'], env(auth))
    expect(ls.code, ls.stderr).toBe(0)
    expect(ls.stdout).toContain('tp_1')
    expect(ls.stdout).toContain('repository=acme/web')
    const lsJson = await runCli(['trust', 'ls', '--json'], env(auth))
    expect(JSON.parse(lsJson.stdout).policies).toHaveLength(1)
    const rmResult = await runCli(['trust', 'rm', 'tp_1'], env(auth))
    expect(rmResult.code, rmResult.stderr).toBe(0)
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/v1/trust-policies/tp_1' })
  })
})
