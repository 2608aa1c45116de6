import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import { testService } from './helpers.js'

const t = testService()
afterAll(() => t.cleanup())

const ROUTES = [
  'post /v1/users',
  'post /v1/auth/login',
  'post /v1/auth/device',
  'post /v1/auth/device/token',
  'post /v1/auth/device/approve',
  'get /v1/whoami',
  'get /v1/tokens',
  'post /v1/tokens',
  'patch /v1/tokens/{id}',
  'delete /v1/tokens/{id}',
  'post /v1/tokens/{id}/rotate',
  'post /v1/revocations',
  'get /v1/revocations',
  'post /v1/verify',
  'post /v1/usage',
  'get /v1/audit',
  'get /v1/openapi.json',
  'get /v1/healthz',
  'post /v1/sessions',
  'get /v1/sessions',
  'delete /v1/sessions/others',
]

function resolve(doc: Record<string, unknown>, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc)
}

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, out)
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v)
      else refs(v, out)
    }
  }
  return out
}

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1, public, at both paths, and lists every route', async () => {
    const res = await request(t.app).get('/openapi.json').expect(200)
    const v1 = await request(t.app).get('/v1/openapi.json').expect(200)
    expect(v1.body).toEqual(res.body)
    const doc = res.body as {
      openapi: string
      info: { title: string; version: string }
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>>
      components: { schemas: Record<string, unknown> }
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info.title).toBeTruthy()
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    )
    for (const route of ROUTES) expect(listed).toContain(route)
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(path.startsWith('/')).toBe(true)
      for (const op of Object.values(ops)) expect(Object.keys(op.responses).length).toBeGreaterThan(0)
    }
    expect(doc.paths['/v1/tokens']?.get?.security).toEqual([{ bearer: [] }])
    expect(doc.paths['/v1/users']?.post?.security).toBeUndefined()
    for (const ref of refs(doc)) expect(resolve(doc, ref), ref).toBeDefined()
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Key', 'Problem', 'CreateKeyRequest']),
    )
    const key = doc.components.schemas.Key as { properties: Record<string, unknown> }
    expect(Object.keys(key.properties).sort()).toEqual(
      [
        'id',
        'name',
        'hint',
        'source',
        'status',
        'caveats',
        'created_at',
        'expires_at',
        'last_used_at',
        'last_used_ip',
        'last_used_user_agent',
        'revoked_at',
        'grace_ends_at', // #18 item 1
      ].sort(),
    )
  })

  it('healthz answers at both paths', async () => {
    expect((await request(t.app).get('/healthz').expect(200)).body).toEqual({ status: 'ok' })
    await request(t.app).get('/v1/healthz').expect(200)
  })
})
