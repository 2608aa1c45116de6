/**
 * `serviceFetch`, the verifier's way to the token service, against real HTTP servers on loopback
 * ports: what it sends, what it reads, and how it fails. @see issue #5
 */
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { RevocationSync } from '../../src/verifier/revocation-sync.js'
import { MAX_ANSWER_BYTES, serviceFetch } from '../../src/verifier/service-fetch.js'
import { build, ROOT } from './e2e/processes.js'
import { memoryLogger } from './helpers.js'

/** A self-signed certificate for 127.0.0.1, made for these tests only (valid until 2126). */
const TLS = join(ROOT, 'test/fixtures/tls')

const servers: Server[] = []

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

describe('serviceFetch', () => {
  it('sends the method, headers and body, and reads status and JSON', async () => {
    const seen: Record<string, string | undefined>[] = []
    const url = await serve(async (req, res) => {
      seen.push({
        method: req.method,
        auth: req.headers.authorization,
        type: req.headers['content-type'],
        length: req.headers['content-length'],
        body: await readBody(req),
      })
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ got: 'é' }))
    })
    const body = JSON.stringify({ reports: [{ token_id: 'tok_é' }] })
    const res = await serviceFetch(`${url}/v1/usage`, {
      method: 'POST',
      headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json' },
      body,
    })
    expect(res.status).toBe(202)
    expect(res.ok).toBe(true)
    expect(await res.json()).toEqual({ got: 'é' })
    expect(seen).toEqual([
      {
        method: 'POST',
        auth: 'Bearer s3cret',
        type: 'application/json',
        length: String(Buffer.byteLength(body)),
        body,
      },
    ])
  })

  it('passes a URL object with its query, and GET by default', async () => {
    let seen = ''
    const url = await serve((req, res) => {
      seen = `${req.method} ${req.url}`
      res.end('{}')
    })
    const target = new URL(`${url}/v1/revocations`)
    target.searchParams.set('since', 'c:1')
    await serviceFetch(target, {})
    expect(seen).toBe('GET /v1/revocations?since=c%3A1')
  })

  it('reports a refusal as not ok, with its body, and does not follow redirects', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/elsewhere' }).end()
      else res.writeHead(401, { 'content-type': 'application/problem+json' }).end('{"code":"invalid_token"}')
    })
    const refused = await serviceFetch(`${url}/v1/verify`, { method: 'POST', body: '{}' })
    expect([refused.status, refused.ok]).toEqual([401, false])
    expect(await refused.json()).toEqual({ code: 'invalid_token' })
    const moved = await serviceFetch(`${url}/moved`, {})
    expect([moved.status, moved.ok]).toEqual([302, false])
  })

  it('rejects malformed JSON when asked to parse it', async () => {
    const url = await serve((_req, res) => res.end('<html>proxy error</html>'))
    const res = await serviceFetch(url, {})
    await expect(res.json()).rejects.toThrow(SyntaxError)
  })

  it('gives up when its signal fires, even while the service says nothing', async () => {
    const url = await serve(() => {})
    const started = performance.now()
    await expect(serviceFetch(url, { signal: AbortSignal.timeout(150) })).rejects.toMatchObject({
      name: 'AbortError',
    })
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('rejects an answer cut short', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('{"entries":')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    await expect(serviceFetch(url, {})).rejects.toThrow()
  })

  it(`refuses an answer larger than ${MAX_ANSWER_BYTES} bytes`, async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20)
    const url = await serve((_req, res) => {
      let sent = 0
      const more = (): void => {
        while (sent <= MAX_ANSWER_BYTES) {
          sent += chunk.length
          if (!res.write(chunk)) {
            res.once('drain', more)
            return
          }
        }
        res.end()
      }
      res.on('error', () => {})
      more()
    })
    await expect(serviceFetch(url, {})).rejects.toThrow(/exceeds/)
  })

  it('sends again once when a kept-alive socket turns out closed, never on a fresh one', async () => {
    const served = new WeakSet<Socket>()
    let requests = 0
    // Answers the first request of each connection and resets the connection on the next, as a
    // server whose keep-alive timeout fired just as the client reused the socket.
    const url = await serve((req, res) => {
      requests++
      if (served.has(req.socket)) {
        req.socket.destroy()
        return
      }
      served.add(req.socket)
      res.end('{"n":1}')
    })
    expect((await serviceFetch(url, {})).status).toBe(200)
    expect((await serviceFetch(url, {})).status).toBe(200)
    expect(requests).toBe(3)

    let fresh = 0
    const resetting = await serve((req) => {
      fresh++
      req.socket.destroy()
    })
    await expect(serviceFetch(resetting, {})).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(fresh).toBe(1)
  })

  it('speaks https: refuses a certificate Node does not trust, accepts one it does', async () => {
    const server = createTlsServer(
      { key: readFileSync(join(TLS, 'loopback.key')), cert: readFileSync(join(TLS, 'loopback.crt')) },
      (_req, res) => res.end('{"secure":true}'),
    )
    servers.push(server)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/revocations`
    await expect(serviceFetch(url, {})).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
    // A private CA is trusted the Node way, NODE_EXTRA_CA_CERTS, read when a process starts.
    build()
    const probe = `import { serviceFetch } from ${JSON.stringify(join(ROOT, 'dist/src/verifier/service-fetch.js'))}
      const res = await serviceFetch(process.env.URL, {})
      console.log(JSON.stringify({ status: res.status, body: await res.json() }))`
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe], {
      env: { ...process.env, URL: url, NODE_EXTRA_CA_CERTS: join(TLS, 'loopback.crt') },
      timeout: 30_000,
    })
    expect(JSON.parse(stdout)).toEqual({ status: 200, body: { secure: true } })
  }, 60_000)

  it('refuses a URL that is not http or https', async () => {
    await expect(serviceFetch('file:///etc/passwd', {})).rejects.toThrow(TypeError)
  })
})

describe('the feed over serviceFetch', () => {
  it('logs an unreachable feed by its error code, never the service token', async () => {
    // A port nothing listens on: take one, then close it.
    const closed = await serve(() => {})
    const server = servers.pop()
    server?.close()
    if (server !== undefined) await once(server, 'close')
    const logger = memoryLogger()
    const sync = new RevocationSync({
      url: `${closed}/v1/revocations`,
      token: 'svc-s3cret-token',
      backoff: { initialMs: 50, maxMs: 50 },
      logger,
    })
    sync.start()
    const started = performance.now()
    while (logger.lines.length === 0 && performance.now() - started < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await sync.stop()
    expect(logger.lines[0]).toContain('ECONNREFUSED')
    expect(logger.lines.join('\n')).not.toContain('svc-s3cret-token')
  })
})
