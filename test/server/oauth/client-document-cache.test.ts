// #19: a Client ID Metadata Document is fetched once and reused, as its cache headers say within
// [1 min, 1 h], not on every authorization and token request. A loopback document server counts fetches.
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  CLIENT_DOCUMENT_DEFAULT_TTL_MS,
  CLIENT_DOCUMENT_MAX_TTL_MS,
  CLIENT_DOCUMENT_MIN_TTL_MS,
  documentTtlMs,
} from '../../../src/service/oauth/client-id-document-cache.js'
import { register, useTestService } from '../helpers.js'
import { authorizeAndDecide, authorizeQuery, exchange, REDIRECT, tokenRequest } from './helpers.js'

const t = useTestService({ config: { oauthAllowLoopbackClientIds: true, oauthTokenLimit: 1000 } })

let server: Server
let base: string
/** Fetches per path, and the headers (and status) each path answers with. */
const fetches = new Map<string, number>()
const answers = new Map<string, { status?: number; headers?: Record<string, string>; delayMs?: number }>()

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/'
    fetches.set(path, (fetches.get(path) ?? 0) + 1)
    const answer = answers.get(path) ?? {}
    const body = JSON.stringify({ client_id: base + path, client_name: 'Doc App', redirect_uris: [REDIRECT] })
    setTimeout(() => {
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers }).end(body)
    }, answer.delayMs ?? 0)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})
beforeEach(() => {
  fetches.clear()
  answers.clear()
})

/** Authorization, code exchange and one refresh for the document at `path`; returns the refresh token. */
async function flow(path: string): Promise<string> {
  const user = await register(t.app)
  const { code } = await authorizeAndDecide(t, user.token, authorizeQuery(base + path))
  const tokens = await exchange(t, base + path, code ?? '')
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200)
  return refresh(path, tokens.body.refresh_token as string)
}

async function refresh(path: string, refreshToken: string): Promise<string> {
  const res = await tokenRequest(t, {
    grant_type: 'refresh_token',
    client_id: base + path,
    refresh_token: refreshToken,
  })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.refresh_token as string
}

describe('Client ID Metadata Document cache (#19)', () => {
  it('authorize, exchange and refresh fetch the document once; after its max-age it is fetched again', async () => {
    answers.set('/a.json', { headers: { 'cache-control': 'max-age=120' } })
    let rt = await flow('/a.json')
    rt = await refresh('/a.json', rt)
    expect(fetches.get('/a.json')).toBe(1)
    t.clock.advance(119_000)
    rt = await refresh('/a.json', rt)
    expect(fetches.get('/a.json')).toBe(1)
    t.clock.advance(2_000)
    rt = await refresh('/a.json', rt)
    await refresh('/a.json', rt)
    expect(fetches.get('/a.json')).toBe(2)
  })

  it('no-store is kept a minute all the same; a day-long max-age only an hour', async () => {
    answers.set('/no-store.json', { headers: { 'cache-control': 'no-store' } })
    answers.set('/day.json', { headers: { 'cache-control': 'public, max-age=86400' } })
    let quick = await flow('/no-store.json')
    let slow = await flow('/day.json')
    t.clock.advance(59_000)
    quick = await refresh('/no-store.json', quick)
    expect(fetches.get('/no-store.json')).toBe(1)
    t.clock.advance(2_000)
    await refresh('/no-store.json', quick)
    expect(fetches.get('/no-store.json')).toBe(2)
    slow = await refresh('/day.json', slow)
    expect(fetches.get('/day.json')).toBe(1)
    t.clock.advance(CLIENT_DOCUMENT_MAX_TTL_MS)
    await refresh('/day.json', slow)
    expect(fetches.get('/day.json')).toBe(2)
  })

  it('requests arriving while the document is fetched wait for that one fetch', async () => {
    answers.set('/slow.json', { delayMs: 300 })
    const user = await register(t.app)
    const decided = await Promise.all(
      [1, 2, 3].map(() => authorizeAndDecide(t, user.token, authorizeQuery(`${base}/slow.json`))),
    )
    expect(decided.every((d) => d.code !== null)).toBe(true)
    expect(fetches.get('/slow.json')).toBe(1)
  })

  it('a document that cannot be used is not kept: the next request fetches again', async () => {
    answers.set('/flaky.json', { status: 503, headers: { 'cache-control': 'max-age=3600' } })
    const res = await tokenRequest(t, {
      grant_type: 'refresh_token',
      client_id: `${base}/flaky.json`,
      refresh_token: 'x',
    })
    expect(res.body.error).toBe('invalid_client')
    answers.delete('/flaky.json')
    await flow('/flaky.json')
    expect(fetches.get('/flaky.json')).toBe(2)
  })
})

describe('documentTtlMs: HTTP cache headers within [1 min, 1 h]', () => {
  const now = Date.parse('2026-12-06T10:00:00Z')
  const ttl = (headers: Record<string, string>) => documentTtlMs(new Headers(headers), now)

  it.each([
    [{ 'cache-control': 'max-age=600' }, 600_000],
    [{ 'cache-control': 'max-age=600', age: '100' }, 500_000],
    [{ 'cache-control': 'MAX-AGE="900"' }, 900_000],
    [{ 'cache-control': 'max-age=10' }, CLIENT_DOCUMENT_MIN_TTL_MS],
    [{ 'cache-control': 'max-age=999999999' }, CLIENT_DOCUMENT_MAX_TTL_MS],
    [{ 'cache-control': 'max-age=abc' }, CLIENT_DOCUMENT_MIN_TTL_MS],
    [{ 'cache-control': 'no-cache, max-age=600' }, CLIENT_DOCUMENT_MIN_TTL_MS],
    [{ 'cache-control': 'private, no-store' }, CLIENT_DOCUMENT_MIN_TTL_MS],
    [{ 'cache-control': 'max-age=600', expires: 'Sun, 06 Dec 2026 10:30:00 GMT' }, 600_000],
    [{ expires: 'Sun, 06 Dec 2026 10:30:00 GMT', date: 'Sun, 06 Dec 2026 10:10:00 GMT' }, 1_200_000],
    [{ expires: 'Sun, 06 Dec 2026 10:30:00 GMT' }, 1_800_000],
    [{ expires: '0' }, CLIENT_DOCUMENT_MIN_TTL_MS],
    [{ expires: 'Sun, 06 Dec 2026 09:00:00 GMT' }, CLIENT_DOCUMENT_MIN_TTL_MS],
    [{}, CLIENT_DOCUMENT_DEFAULT_TTL_MS],
    [{ 'cache-control': 'public' }, CLIENT_DOCUMENT_DEFAULT_TTL_MS],
  ])('%j → %i ms', (headers, expected) => {
    expect(ttl(headers)).toBe(expected)
  })
})
