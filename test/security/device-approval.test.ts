import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { api, expectProblem, PASSWORD, register, testService, useTestService } from '../server/helpers.js'

const t = useTestService()

async function startFlow(device: string, ip: string, userAgent = 'crumb CLI 1.0') {
  const res = await request(t.app)
    .post('/v1/auth/device')
    .set('X-Forwarded-For', ip)
    .set('User-Agent', userAgent)
    .send({ device })
    .expect(200)
  return res.body as { user_code: string; device_code: string }
}

/** A dashboard session cookie for the user (signed in the way the sign-in page does). */
async function sessionCookie(email: string): Promise<string> {
  const csrf = 'C'.repeat(43)
  const res = await request(t.app)
    .post('/dashboard/sign-in')
    .set('Origin', 'http://127.0.0.1')
    .set('Host', '127.0.0.1')
    .set('Cookie', `crumb_csrf=${csrf}`)
    .set('X-CSRF-Token', csrf)
    .send({ email, password: PASSWORD })
    .expect(201)
  const set = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('crumb_session='))
  return (set ?? '').split(';')[0] ?? ''
}

describe('device approval says what approving replaces', () => {
  // #15 item 10
  it('names the key a same-name approval would replace, with its last use, and whether the request comes from there', async () => {
    t.restart(() => testService({ config: { trustProxy: true } }))
    const u = await register(t.app)
    // the victim's own CLI login on "vm", used from 198.51.100.7
    const own = await request(t.app)
      .post('/v1/auth/login')
      .set('X-Forwarded-For', '198.51.100.7')
      .send({ email: u.email, password: PASSWORD, device: 'vm' })
      .expect(201)
    await request(t.app)
      .get('/v1/whoami')
      .set('Authorization', `Bearer ${own.body.token}`)
      .set('X-Forwarded-For', '198.51.100.7')
      .set('User-Agent', 'crumb CLI 1.0')
      .expect(200)
    t.app.service.usage.flush()

    // an attacker starts a flow that merely chose the same name
    const attack = await startFlow('vm', '203.0.113.66', 'curl/8.5.0')
    const looked = await api(t.app, u.token).get(`/v1/auth/device?user_code=${attack.user_code}`).expect(200)
    expect(looked.body.request).toMatchObject({
      device: 'vm',
      ip: '203.0.113.66',
      replaces: {
        id: own.body.key.id,
        name: 'CLI login on vm',
        last_used_ip: '198.51.100.7',
        last_used_user_agent: 'crumb CLI 1.0',
      },
      same_address: false,
    })
    expect(looked.body.request.replaces.last_used_at).toEqual(expect.any(String))

    // a request for a name with no key replaces nothing
    const fresh = await startFlow('new-box', '198.51.100.7')
    const none = await api(t.app, u.token).get(`/v1/auth/device?user_code=${fresh.user_code}`).expect(200)
    expect(none.body.request.replaces).toBeNull()
    expect(none.body.request.same_address).toBeNull()
  })
})

describe('unknown-code lookups', () => {
  // #15 item 11
  it('cookie-authenticated GETs without the page’s CSRF proof cannot lock the real approval out', async () => {
    t.restart(() => testService({ config: { loginLimit: 3 } }))
    const u = await register(t.app)
    const cookie = await sessionCookie(u.email)
    // a page elsewhere makes the signed-in browser look up codes (no CSRF check on GET)
    for (let i = 0; i < 10; i++) {
      const res = await request(t.app).get('/v1/auth/device?user_code=BCDF-GHJK').set('Cookie', cookie)
      expect([404, 429]).toContain(res.status)
    }
    const real = await startFlow('laptop', '127.0.0.1')
    const csrf = 'D'.repeat(43)
    const approve = await request(t.app)
      .post('/v1/auth/device/approve')
      .set('Cookie', `${cookie}; crumb_csrf=${csrf}`)
      .set('X-CSRF-Token', csrf)
      .set('Origin', 'http://127.0.0.1')
      .set('Host', '127.0.0.1')
      .send({ user_code: real.user_code, approve: true })
    expect(approve.status).toBe(200)
    expect(approve.body.request.status).toBe('approved')
  })

  // #15 item 11
  it('deliberate lookups (a bearer token, or the page with its CSRF proof) still count, so codes cannot be guessed', async () => {
    t.restart(() => testService({ config: { loginLimit: 3 } }))
    const u = await register(t.app)
    for (let i = 0; i < 3; i++) {
      expectProblem(await api(t.app, u.token).get('/v1/auth/device?user_code=BCDF-GHJK'), 404, 'not_found')
    }
    expectProblem(await api(t.app, u.token).get('/v1/auth/device?user_code=BCDF-GHJK'), 429, 'rate_limited')
  })
})
