import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { devicePageQuery, signInPageQuery } from '../../src/dashboard/router.js'
import { useTestService } from '../server/helpers.js'

/** The dashboard pages' query parameters: parsed with zod, and a bad value falls back (never a 400). */

const t = useTestService()

describe('GET /sign-in and /register ?next=', () => {
  it.each([
    [{ next: '/device?user_code=BCDF-GHJK' }, '/device?user_code=BCDF-GHJK'],
    [{}, '/keys'],
    [{ next: '//evil.example' }, '/keys'],
    [{ next: ['/audit', '/sessions'] }, '/keys'],
    [{ next: `/${'a'.repeat(600)}` }, '/keys'],
  ])('%j → %s', (query, next) => {
    expect(signInPageQuery.parse(query)).toEqual({ next })
  })

  it('renders the page with the fallback for a repeated next', async () => {
    const res = await request(t.app).get('/sign-in?next=/audit&next=/sessions').expect(200)
    expect(res.text).toContain('data-next="/keys"')
  })
})

describe('GET /device ?user_code=', () => {
  it.each([
    [{ user_code: 'BCDF-GHJK' }, 'BCDF-GHJK'],
    [{ user_code: 'X'.repeat(40) }, 'X'.repeat(32)],
    [{}, undefined],
    [{ user_code: ['BCDF-GHJK', 'WDJB-MJHT'] }, undefined],
    [{ user_code: { nested: 'x' } }, undefined],
  ])('%j → %s', (query, code) => {
    expect(devicePageQuery.parse(query).user_code).toBe(code)
  })

  it('signed out, a repeated user_code is ignored (no cookie), not a 400', async () => {
    const res = await request(t.app).get('/device?user_code=BCDF-GHJK&user_code=WDJB-MJHT').expect(303)
    expect(res.headers.location).toBe(`/sign-in?next=${encodeURIComponent('/device')}`)
    expect(String(res.headers['set-cookie'] ?? '')).not.toContain('crumb_device_code')
    const one = await request(t.app).get('/device?user_code=BCDF-GHJK').expect(303)
    expect(String(one.headers['set-cookie'] ?? '')).toContain('crumb_device_code=BCDF-GHJK')
  })
})
