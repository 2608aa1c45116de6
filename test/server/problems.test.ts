import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { api, expectProblem, register, useTestService } from './helpers.js'

const t = useTestService()

describe('problem+json errors', () => {
  it('a body over 16 KiB is 413 payload_too_large (JSON or not, declared or chunked)', async () => {
    const big = { email: 'a@example.com', password: 'x'.repeat(17 * 1024) }
    expectProblem(await request(t.app).post('/v1/users').send(big), 413, 'payload_too_large')
    expectProblem(
      await request(t.app)
        .post('/v1/users')
        .set('Content-Type', 'text/plain')
        .send('x'.repeat(17 * 1024)),
      413,
      'payload_too_large',
    )
    const u = await register(t.app)
    expectProblem(
      await api(t.app, u.token)
        .post('/v1/tokens')
        .send({ name: 'x', caveats: Array.from({ length: 30 }, () => `org = ${'a'.repeat(600)}`) }),
      413,
      'payload_too_large',
    )
  })

  it('malformed JSON is 400 validation_failed', async () => {
    const res = await request(t.app)
      .post('/v1/users')
      .set('Content-Type', 'application/json')
      .send('{"email": ')
    expect(expectProblem(res, 400, 'validation_failed').errors?.[0]?.in).toBe('body')
  })

  it('a non-JSON body is a validation failure, not a crash', async () => {
    expectProblem(
      await request(t.app).post('/v1/users').set('Content-Type', 'text/plain').send('email=a'),
      400,
      'validation_failed',
    )
  })

  it('unknown routes are 404 not_found problems', async () => {
    const res = await request(t.app).get('/v1/nope')
    expect(expectProblem(res, 404, 'not_found').detail).not.toContain('/v1/nope')
    expect(res.body).toMatchObject({ type: 'urn:crumb:problem:not_found', title: 'Not found', status: 404 })
  })

  it('an unexpected failure is a 500 problem without a stack', async () => {
    const u = await register(t.app)
    await t.rawQuery('DROP TABLE audit_events')
    const res = await api(t.app, u.token).post('/v1/tokens').send({ name: 'x' })
    expect(res.status).toBe(500)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(Object.keys(res.body).sort()).toEqual(['code', 'detail', 'status', 'title', 'type'])
    expect(JSON.stringify(res.body)).not.toMatch(/at |\.ts:|\.js:|audit_events/)
    expect(t.logs.join('')).toContain('unhandled error')
  })

  it('every problem has type, title, status, code, detail', async () => {
    const res = await request(t.app).get('/v1/whoami')
    expect(Object.keys(res.body).sort()).toEqual(['code', 'detail', 'status', 'title', 'type'])
  })
})
