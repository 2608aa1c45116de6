/**
 * The one problem+json type (#16 item 5): what the token service and verifiers write, the CLI and
 * the remote verifier read, over a real HTTP round trip on loopback.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CrumbError } from '../../src/errors.js'
import {
  type ParsedProblem,
  problemBody,
  RateLimited,
  readProblem,
  ValidationProblem,
  writeProblem,
} from '../../src/wire/problem.js'

const ERRORS: Record<string, () => CrumbError> = {
  not_found: () => new CrumbError('not_found', 'no such key'),
  token_revoked: () => new CrumbError('token_revoked', 'token has been revoked'),
  rate_limited: () => new RateLimited('too many login attempts', 119.2),
  validation_failed: () =>
    new ValidationProblem('caveat 1 is not valid', [
      { in: 'body', path: 'caveats.1', message: 'unknown caveat' },
      { in: 'query', path: '', message: 'malformed' },
    ]),
  stale: () => new CrumbError('revocation_list_stale', 'feed unreachable'),
}

let server: Server
let base: string

beforeAll(async () => {
  server = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1)
    const make = ERRORS[name]
    if (make === undefined) throw new Error(`no error ${name}`)
    writeProblem(res, make(), name === 'stale' ? { retryAfterS: 5 } : {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

async function roundTrip(name: string): Promise<{ res: Response; text: string; problem: ParsedProblem }> {
  const res = await fetch(`${base}/${name}`)
  const text = await res.text()
  return { res, text, problem: readProblem(text) }
}

describe('problem+json write then parse', () => {
  it('keeps status, type, title, code and detail', async () => {
    const { res, problem } = await roundTrip('not_found')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(problem).toEqual({
      type: 'urn:crumb:problem:not_found',
      title: 'Not found',
      status: 404,
      code: 'not_found',
      detail: 'no such key',
    })
  })

  it('challenges a 401 with WWW-Authenticate: Bearer error="invalid_token"', async () => {
    const { res, problem } = await roundTrip('token_revoked')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    expect(problem.code).toBe('token_revoked')
  })

  it('sends Retry-After for rate_limited (whole seconds) and where the writer asks', async () => {
    const limited = await roundTrip('rate_limited')
    expect(limited.res.status).toBe(429)
    expect(limited.res.headers.get('retry-after')).toBe('120')
    expect(limited.problem.code).toBe('rate_limited')
    const stale = await roundTrip('stale')
    expect(stale.res.status).toBe(503)
    expect(stale.res.headers.get('retry-after')).toBe('5')
  })

  it('lists validation issues and reads them back with their paths', async () => {
    const { text, problem } = await roundTrip('validation_failed')
    expect(JSON.parse(text).errors).toEqual([
      { in: 'body', path: 'caveats.1', message: 'unknown caveat' },
      { in: 'query', path: '', message: 'malformed' },
    ])
    expect(problem.errors).toEqual([
      { path: 'caveats.1', message: 'unknown caveat' },
      { path: '', message: 'malformed' },
    ])
  })

  it('writes the same body problemBody gives', () => {
    const error = ERRORS.validation_failed?.() as CrumbError
    expect(readProblem(JSON.stringify(problemBody(error)))).toMatchObject({
      code: 'validation_failed',
      status: 400,
    })
  })
})

describe('readProblem on what other servers answer', () => {
  it('gives an empty problem for text that is not a JSON object', () => {
    expect(readProblem('<html>bad gateway</html>')).toEqual({})
    expect(readProblem('')).toEqual({})
    expect(readProblem('[1,2]')).toEqual({})
    expect(readProblem(null)).toEqual({})
  })

  it('drops members of the wrong type and keeps the rest', () => {
    expect(readProblem({ code: 42, detail: 'why', errors: 'nope' })).toEqual({ detail: 'why' })
  })

  it('reads other shapes of issues: strings, array paths, JSON pointers', () => {
    const problem = readProblem({
      errors: ['bad', { path: ['caveats', 2], message: 'm' }, { pointer: '/name', detail: 'd' }],
    })
    expect(problem.errors).toEqual([
      { message: 'bad' },
      { path: 'caveats.2', message: 'm' },
      { path: '/name', message: 'd' },
    ])
  })

  it('reads the failed caveat a verifier names', () => {
    expect(readProblem({ code: 'caveat_failed', caveat: { index: 2, text: 'app = web' } }).caveat).toEqual({
      index: 2,
      text: 'app = web',
    })
  })
})
