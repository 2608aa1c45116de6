import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/server/config.js'
import { hashPassword, OWASP_SCRYPT, verifyPassword } from '../../src/service/password.js'
import { expectProblem, PASSWORD, register, testService, useTestService } from '../server/helpers.js'

const t = useTestService()

const login = (email: string, password: string, ip: string) =>
  request(t.app)
    .post('/v1/auth/login')
    .set('X-Forwarded-For', ip)
    .send({ email, password, device: `d-${ip}` })

describe('login lockout does not deny the owner', () => {
  // #15 item 8
  it('failures from one address lock that address out, not the owner elsewhere', async () => {
    t.restart(() => testService({ config: { trustProxy: true, loginLimit: 3 } }))
    const u = await register(t.app)
    for (let i = 0; i < 3; i++) await login(u.email, 'wrong password', '203.0.113.66').expect(401)
    expectProblem(await login(u.email, 'wrong password', '203.0.113.66'), 429, 'rate_limited')
    expectProblem(await login(u.email, PASSWORD, '203.0.113.66'), 429, 'rate_limited')
    await login(u.email, PASSWORD, '198.51.100.20').expect(201)
  })

  // #15 item 8
  it('many addresses guessing one email meet a slower global limit (ten times the per-address one)', async () => {
    t.restart(() => testService({ config: { trustProxy: true, loginLimit: 2 } }))
    const u = await register(t.app)
    for (let i = 0; i < 20; i++) await login(u.email, 'wrong password', `203.0.113.${i}`).expect(401)
    expectProblem(await login(u.email, 'wrong password', '203.0.113.200'), 429, 'rate_limited')
  })
})

describe('password hashing', () => {
  // #15 item 9
  it("defaults to OWASP's scrypt parameters (N=2^17, r=8, p=1)", async () => {
    expect(OWASP_SCRYPT).toEqual({ n: 2 ** 17, r: 8, p: 1 })
    expect(loadConfig({}).scrypt).toEqual(OWASP_SCRYPT)
    const stored = await hashPassword(PASSWORD)
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$/)
    expect(await verifyPassword(PASSWORD, stored)).toBe(true)
    expect(await verifyPassword('wrong password', stored)).toBe(false)
  })

  // #15 item 9
  it('upgrades a weaker stored hash at the next successful login', async () => {
    const weak = { n: 2 ** 10, r: 8, p: 1 }
    const target = { n: 2 ** 11, r: 8, p: 1 }
    t.restart(() => testService({ config: { scrypt: target } }))
    const u = await register(t.app)
    const user = await t.store.users.getByEmail(u.email)
    if (user === undefined) throw new Error('no user')
    expect(user.passwordHash).toMatch(/^scrypt\$2048\$/)
    await t.store.users.setPasswordHash(user.id, await hashPassword(PASSWORD, weak))
    // a failed login changes nothing
    await request(t.app).post('/v1/auth/login').send({ email: u.email, password: 'nope nope', device: 'x' })
    expect((await t.store.users.get(user.id))?.passwordHash).toMatch(/^scrypt\$1024\$/)
    await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: PASSWORD, device: 'x' })
      .expect(201)
    const after = (await t.store.users.get(user.id))?.passwordHash ?? ''
    expect(after).toMatch(/^scrypt\$2048\$8\$1\$/)
    expect(await verifyPassword(PASSWORD, after)).toBe(true)
  })

  // #15 item 9
  it('refuses a test-only cost unless it is asked for explicitly', () => {
    expect(loadConfig({ CRUMB_SCRYPT_N: '1024' }).scrypt.n).toBe(1024)
    expect(() => loadConfig({ CRUMB_SCRYPT_N: '1000' })).toThrow()
  })
})
