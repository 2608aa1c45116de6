/**
 * Property-based HTTP fuzz of the token service's routes (security review, checklist item 1):
 * whatever the method, path, query, headers and body, the answer is never a 5xx, and every error
 * is an RFC 9457 problem+json with a known code and no stack trace. Bounded: 300 runs.
 */
import fc from 'fast-check'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/errors.js'
import { attenuate } from '../../src/token/index.js'
import { bearer, createKey, register, type TestService, testService } from '../server/helpers.js'

let t: TestService
let tokens: string[] = []
let keyId = ''
beforeAll(async () => {
  t = testService({ config: { registerLimit: 1_000_000 } })
  const u = await register(t.app)
  const k = await createKey(t.app, u.token, { name: 'fuzz target' })
  keyId = k.key.id
  tokens = [u.token, k.token, attenuate(u.token, ['ops = read']), attenuate(k.token, ['device = box'])]
})
afterAll(() => t.cleanup())

const odd = fc.constantFrom(
  '',
  '%',
  '%E0%A4%A',
  '%00',
  '..%2F..',
  'tok_',
  'tok_%F0%9F%92%A9',
  '\u00e9',
  'A'.repeat(300),
  'null',
  '[]',
  '{}',
  'tok_abc',
  '-1',
  'NaN',
  '1e309',
)
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), odd)
const pathParam = fc.oneof(
  text.map((s) => encodeURIComponent(s)),
  odd,
  fc.constant('KEY'),
)

const routes: ReadonlyArray<readonly [string, string]> = [
  ['post', '/v1/users'],
  ['post', '/v1/auth/login'],
  ['post', '/v1/auth/device'],
  ['post', '/v1/auth/device/token'],
  ['post', '/v1/auth/device/approve'],
  ['get', '/v1/auth/device'],
  ['post', '/v1/sessions'],
  ['get', '/v1/sessions'],
  ['delete', '/v1/sessions/:id'],
  ['delete', '/v1/sessions/others'],
  ['get', '/v1/whoami'],
  ['get', '/v1/tokens'],
  ['post', '/v1/tokens'],
  ['patch', '/v1/tokens/:id'],
  ['delete', '/v1/tokens/:id'],
  ['post', '/v1/tokens/:id/rotate'],
  ['post', '/v1/revocations'],
  ['get', '/v1/revocations'],
  ['post', '/v1/verify'],
  ['post', '/v1/usage'],
  ['get', '/v1/audit'],
  ['get', '/healthz'],
  ['get', '/openapi.json'],
  ['put', '/v1/tokens'],
]

const queryKeys = fc.constantFrom(
  'include_revoked',
  'since',
  'wait',
  'hard',
  'key_id',
  'cursor',
  'limit',
  'user_code',
  'x',
)
const queryValue = fc.oneof(
  text,
  fc.constantFrom('true', 'false', '0', '-1', '1e309', 'NaN', '999999999999999', '0.001', '30', '1000000'),
)
const query = fc.array(fc.tuple(queryKeys, queryValue), { maxLength: 4 })

const bodyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      email: fc.oneof(text, fc.emailAddress()),
      password: text,
      device: text,
      name: text,
      caveats: fc.oneof(fc.array(text, { maxLength: 4 }), text, fc.constant(null)),
      expires_in: fc.oneof(text, fc.constantFrom('30d', '0s', '-1d', '1e309d', '99999999999h')),
      grace: fc.oneof(text, fc.constantFrom('1h', '25h', '0s')),
      token: fc.oneof(text, fc.constant('TOKEN')),
      device_code: text,
      user_code: text,
      approve: fc.oneof(fc.boolean(), text),
      request: fc.jsonValue({ maxDepth: 2 }),
      reports: fc.oneof(
        fc.array(
          fc.record(
            { token_id: fc.oneof(text, fc.constant('KEY')), at: text, ip: text },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
        text,
      ),
    },
    { requiredKeys: [] },
  ),
)

const contentType = fc.constantFrom(
  'application/json',
  'application/problem+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  'multipart/form-data; boundary=x',
)

const auth = fc.oneof(
  fc.constant<undefined>(undefined),
  fc.nat({ max: 3 }).map((i) => ({ kind: 'bearer' as const, i })),
  fc.nat({ max: 3 }).map((i) => ({ kind: 'x-api-key' as const, i })),
  text.map((s) => ({ kind: 'raw' as const, s })),
)

const PROBLEM_CODES = new Set(Object.keys(ERROR_CODES))

describe('HTTP fuzz (security review item 1)', () => {
  it('never answers 5xx; every error is a problem+json with a known code and no stack', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        pathParam,
        query,
        auth,
        fc.option(bodyValue, { nil: undefined }),
        fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
        contentType,
        fc.option(text, { nil: undefined }),
        async ([method, template], param, q, who, body, rawBody, type, device) => {
          const id = param === 'KEY' ? keyId : param
          const qs = q.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')
          const path = `${template.replace(':id', id)}${qs === '' ? '' : `?${qs}`}`
          let req = (request(t.app) as unknown as Record<string, (p: string) => request.Test>)[method]?.(path)
          if (req === undefined) throw new Error(`no method ${method}`)
          if (who?.kind === 'bearer') req = req.set(...bearer(tokens[who.i] ?? ''))
          if (who?.kind === 'x-api-key') req = req.set('X-API-Key', tokens[who.i] ?? '')
          if (who?.kind === 'raw') req = req.set('Authorization', who.s.replace(/[^\t\x20-\x7e]/g, '?'))
          if (device !== undefined) req = req.set('Crumb-Device', device.replace(/[^\t\x20-\x7e]/g, '?'))
          if (method !== 'get' && method !== 'delete') {
            const json =
              body === undefined
                ? rawBody
                : JSON.stringify(body)
                    .replaceAll('"TOKEN"', JSON.stringify(tokens[0]))
                    .replaceAll('"KEY"', JSON.stringify(keyId))
            if (json !== undefined) req = req.set('Content-Type', type).send(json)
          }
          const res = await req.timeout(5000)
          expect(res.status, `${method.toUpperCase()} ${path}`).toBeLessThan(500)
          if (res.status >= 400) {
            expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/)
            const problem = JSON.parse(res.text) as Record<string, unknown>
            expect(PROBLEM_CODES.has(String(problem.code)), String(problem.code)).toBe(true)
            expect(problem.status).toBe(res.status)
            expect(typeof problem.title).toBe('string')
            expect(typeof problem.detail).toBe('string')
            expect(res.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/)
            if (res.status === 401)
              expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
          }
        },
      ),
      { numRuns: 300 },
    )
    expect(t.logs.filter((l) => l.includes('"level":50'))).toEqual([])
  }, 120_000)
})
