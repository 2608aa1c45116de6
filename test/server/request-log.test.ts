import { Writable } from 'node:stream'
import express from 'express'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/server/logger.js'
import { requestLog } from '../../src/server/request-log.js'

interface Line {
  level: number
  msg: string
  req: { id: string; method: string; url: string; remoteAddress?: string; userAgent?: string }
  res: { statusCode: number }
  responseTime: number
}

/** A small app behind `requestLog`, its logger at `level`, and the lines it wrote. */
function logged(level: string): { app: express.Express; lines: () => Line[] } {
  const logs: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'))
      done()
    },
  })
  const app = express()
  app.use(requestLog(createLogger({ level, destination })))
  app.get('/ok/*rest', (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/boom', (_req, res) => {
    res.status(500).end()
  })
  return { app, lines: () => logs.map((l) => JSON.parse(l) as Line) }
}

// pino-http made a child logger (serializing the request) for every request, logs on or off:
// a tenth of a feed long-poll's cost (#17). requestLog writes the same line, built only when logged.
describe('request logs (requestLog)', () => {
  it('one line per request: id, method, redacted URL, address, user agent, status, time', async () => {
    const { app, lines } = logged('info')
    const res = await request(app)
      .get('/ok/crumb_AgELbG9jYWxob3N0OjcwMDAxMjM0?user_code=WDJB-MJHT&x=1')
      .set('User-Agent', 'probe/1')
      .set('X-Request-Id', 'trace-1')
      .expect(200)
    expect(res.headers['x-request-id']).toBe('trace-1')
    expect(lines()).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        service: 'crumb',
        msg: 'request completed',
        req: {
          id: 'trace-1',
          method: 'GET',
          url: '/ok/[redacted]?user_code=[redacted]&x=1',
          remoteAddress: expect.any(String),
          userAgent: 'probe/1',
        },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      },
    ])
  })

  it('a 4xx at warn, a 5xx at error; an id that does not look like one is replaced', async () => {
    const { app, lines } = logged('info')
    const missing = await request(app).get('/nowhere').set('X-Request-Id', 'bad id with spaces').expect(404)
    expect(missing.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    await request(app).get('/boom').expect(500)
    expect(lines().map((l) => [l.level, l.msg, l.res.statusCode])).toEqual([
      [40, 'request completed', 404],
      [50, 'request errored', 500],
    ])
    expect(lines()[0]?.req.id).toBe(missing.headers['x-request-id'])
  })

  it('writes nothing at a level the logger leaves out, and still sets the request id', async () => {
    const { app, lines } = logged('warn')
    const res = await request(app).get('/ok/x').expect(200)
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(lines()).toEqual([])
    await request(app).get('/nowhere').expect(404)
    expect(lines().map((l) => l.level)).toEqual([40])
  })
})
