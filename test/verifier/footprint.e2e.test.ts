/**
 * What `crumb/express` brings into a service's process. Its calls to the token service (feed,
 * verify, usage) go through node:http, not the global fetch, whose first use loads undici (about
 * 2 MB of heap every later GC walks; a loaded service measured about 5% slower for it).
 * Real processes: the token service, and a small Express app in a child process. @see issue #5
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenServiceClient } from './e2e/client.js'
import { build, ROOT, type Running, startTokenService, tempDataDir } from './e2e/processes.js'

const run = promisify(execFile)

/** A service with a local and a remote verifier: one request through each, then close (flushes usage). */
const SERVICE = `
import http from 'node:http'
import express from 'express'
import * as crumb from ${JSON.stringify(join(ROOT, 'dist/src/verifier/index.js'))}
const { SERVER, SERVICE_TOKEN, TOKEN, KEYRING } = process.env
const undiciBefore = process.moduleLoadList.filter((m) => m.includes('undici'))
const local = crumb.verifier({ keys: KEYRING, server: SERVER, serviceToken: SERVICE_TOKEN })
const remote = crumb.verifier({ mode: 'remote', server: SERVER, serviceToken: SERVICE_TOKEN })
const app = express()
app.get('/local', local, (req, res) => res.json({ user: req.crumb?.userId ?? null }))
app.get('/remote', remote, (req, res) => res.json({ user: req.crumb?.userId ?? null }))
const server = app.listen(0, '127.0.0.1')
await Promise.all([local.ready(), remote.ready(), new Promise((r) => server.once('listening', r))])
const get = (path) => new Promise((resolve, reject) => {
  http.get({ host: '127.0.0.1', port: server.address().port, path,
    headers: { authorization: 'Bearer ' + TOKEN, 'user-agent': 'footprint/1.0' } }, (res) => {
    let body = ''
    res.on('data', (c) => { body += c })
    res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }))
  }).on('error', reject)
})
const answers = [await get('/local'), await get('/remote')]
await Promise.all([local.close(), remote.close()])
server.close()
const loaded = process.moduleLoadList
console.log(JSON.stringify({ answers, undiciBefore, undici: loaded.filter((m) => m.includes('undici')),
  httpClient: loaded.some((m) => m.includes('_http_client')) }))
`

describe("the verifier's footprint in a service", () => {
  let service: Running
  let api: TokenServiceClient
  let dataDir: string

  beforeAll(async () => {
    build()
    dataDir = tempDataDir()
    service = await startTokenService(dataDir)
    api = new TokenServiceClient(service.url)
  }, 120_000)

  afterAll(async () => {
    await service?.stop()
  })

  it('verifies locally and remotely, reports usage, and never loads undici', async () => {
    const svc = await api.register('footprint-svc@example.com')
    const serviceToken = (await api.createToken(svc.token, 'footprint service')).token
    const user = await api.register('footprint-user@example.com')
    const key = await api.createToken(user.token, 'footprint key', ['ops = read'])
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SERVICE], {
      cwd: ROOT,
      env: {
        ...process.env,
        SERVER: service.url,
        SERVICE_TOKEN: serviceToken,
        TOKEN: key.token,
        KEYRING: join(dataDir, 'keyring.json'),
      },
      timeout: 60_000,
    })
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      answers: { status: number; body: { user: string | null } }[]
      undiciBefore: string[]
      undici: string[]
      httpClient: boolean
    }
    expect(report.answers).toEqual([
      { status: 200, body: { user: user.userId } },
      { status: 200, body: { user: user.userId } },
    ])
    // moduleLoadList must name Node's own modules, or an empty undici list would prove nothing.
    expect(report.httpClient).toBe(true)
    expect(report.undiciBefore).toEqual([])
    expect(report.undici).toEqual([])
    // The usage reports went through node:http too: the key shows its last use.
    const listed = (await api.listTokens(user.token)).find((k) => k.id === key.key.id)
    expect(listed).toMatchObject({ last_used_ip: '127.0.0.1', last_used_user_agent: 'footprint/1.0' })
  }, 90_000)
})
