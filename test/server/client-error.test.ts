import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/server/start.js'
import { quietLogger, useTempDirs } from './helpers.js'

/**
 * Requests Node's HTTP parser refuses (oversized headers, malformed requests) are answered with
 * the service's problem+json over a real socket, not Node's bare status line.
 */

const tempDir = useTempDirs('crumb-client-error-')
const quiet = quietLogger()

/** Writes raw bytes to the server and reads everything it sends until it closes the connection. */
function exchange(server: RunningServer, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1')
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(received))
    socket.write(request)
  })
}

interface RawResponse {
  status: number
  headers: Map<string, string>
  body: Record<string, unknown>
  text: string
}

function parse(raw: string): RawResponse {
  const [head = '', text = ''] = raw.split('\r\n\r\n', 2)
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers = new Map(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  )
  expect(statusLine).toMatch(/^HTTP\/1\.1 \d{3} /)
  expect(Number(headers.get('content-length'))).toBe(Buffer.byteLength(text))
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(text), text }
}

async function withServer(test: (server: RunningServer) => Promise<void>): Promise<void> {
  const server = await startServer({ port: 0, dataDir: tempDir(), env: {}, logger: quiet })
  try {
    await test(server)
  } finally {
    await server.close()
  }
}

describe('client errors from the HTTP parser', () => {
  it('headers over 16 KiB: 431 problem+json validation_failed, without echoing the header', async () => {
    await withServer(async (server) => {
      const secret = `crumb_${'A'.repeat(20 * 1024)}`
      const raw = await exchange(
        server,
        `GET /v1/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${secret}\r\n\r\n`,
      )
      const res = parse(raw)
      expect(res.status).toBe(431)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(res.headers.get('connection')).toBe('close')
      expect(res.body).toMatchObject({
        type: 'urn:crumb:problem:validation_failed',
        status: 431,
        code: 'validation_failed',
      })
      expect(raw).not.toContain('crumb_AAAA')
      expect(raw).not.toContain('Bearer')
    })
  })

  it('a malformed request: 400 problem+json validation_failed', async () => {
    await withServer(async (server) => {
      const res = parse(
        await exchange(server, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n'),
      )
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(res.body).toMatchObject({ status: 400, code: 'validation_failed' })
      expect(res.text).not.toContain('Bad Header Name')
    })
  })

  it('after a good request on a keep-alive connection, a bad one still gets its problem', async () => {
    await withServer(async (server) => {
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1')
        let text = ''
        let sentSecond = false
        socket.setEncoding('utf8')
        socket.on('data', (chunk: string) => {
          text += chunk
          // The second request goes out once the first response is complete, on the same socket.
          if (!sentSecond && /\r\n\r\n\{[^}]*\}/.test(text)) {
            sentSecond = true
            socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`)
          }
        })
        socket.on('error', reject)
        socket.on('close', () => resolve(text))
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
      })
      const second = raw.indexOf('HTTP/1.1 431 ')
      expect(raw.startsWith('HTTP/1.1 200 ')).toBe(true)
      expect(second).toBeGreaterThan(0)
      expect(parse(raw.slice(second)).body).toMatchObject({ code: 'validation_failed' })
    })
  })

  it('never writes a problem into a response already under way on that connection', async () => {
    // A slow response has sent its headers and half its body when a pipelined request breaks
    // the parser: the problem must not land inside the slow body (Node's own rule: close instead).
    const { answerClientErrors } = await import('../../src/server/client-error.js')
    const { createServer } = await import('node:http')
    let finishSlow: () => void = () => {}
    const server = createServer((req, res) => {
      if (req.url === '/slow') {
        res.writeHead(200, { 'content-length': '20' })
        res.write('0123456789')
        finishSlow = () => res.end('abcdefghij')
        return
      }
      // The pipelined request answers later: at the parser error it has sent nothing yet.
      setTimeout(() => res.end('fast'), 50)
    })
    answerClientErrors(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as { port: number }
      const received = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1')
        let text = ''
        socket.setEncoding('utf8')
        socket.on('data', (chunk: string) => {
          text += chunk
          if (text.includes('0123456789')) {
            socket.write('GET /fast HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\r\n\r\n')
            setTimeout(finishSlow, 100)
          }
        })
        socket.on('error', reject)
        socket.on('close', () => resolve(text))
        socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
      })
      const body = received.slice(received.indexOf('\r\n\r\n') + 4)
      expect(body.startsWith('0123456789')).toBe(true)
      expect(received).not.toContain('problem')
      expect(received).not.toMatch(/0123456789[^a]*HTTP\/1\.1 400/)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
