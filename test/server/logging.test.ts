import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { attenuate } from '../../src/token/index.js'
import { api, createKey, PASSWORD, register, useTestService } from './helpers.js'

const t = useTestService()

describe('request logs', () => {
  it('carry a request id and contain none of the secrets used', async () => {
    const secrets: string[] = [PASSWORD]
    const u = await register(t.app)
    secrets.push(u.token)
    const login = await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: PASSWORD, device: 'laptop' })
      .expect(201)
    secrets.push(login.body.token)
    const wrong = 'not the password at all'
    secrets.push(wrong)
    await request(t.app)
      .post('/v1/auth/login')
      .send({ email: u.email, password: wrong, device: 'x' })
      .expect(401)
    const k = await createKey(t.app, u.token, { name: 'ci', caveats: ['ops = deploy'] })
    secrets.push(k.token)
    const child = attenuate(k.token, ['org = acme'])
    secrets.push(child)
    await request(t.app)
      .get('/v1/whoami')
      .set('X-API-Key', k.token)
      .set('Cookie', `session=${login.body.token}`)
    await request(t.app).get('/v1/whoami').set('Authorization', `Bearer ${child}`)
    await api(t.app, u.token)
      .post('/v1/verify')
      .send({ token: child, request: { org: 'acme', op: 'deploy' } })
    await request(t.app).post('/v1/revocations').send({ token: child }).expect(200)
    const forged = `${k.token.slice(0, -6)}AAAAAA`
    secrets.push(forged)
    await request(t.app).post('/v1/revocations').send({ token: forged }).expect(401)
    const device = await request(t.app).post('/v1/auth/device').send({ device: 'box' }).expect(200)
    secrets.push(device.body.device_code)
    await request(t.app)
      .post('/v1/auth/device/token')
      .send({ device_code: device.body.device_code })
      .expect(400)
    const s = await request(t.app)
      .post('/v1/sessions')
      .send({ email: u.email, password: PASSWORD })
      .expect(201)
    secrets.push(s.body.token)
    await request(t.app)
      .post('/v1/users')
      .set('Content-Type', 'application/json')
      .send(`{"password":"${PASSWORD}`)

    const res = await request(t.app).get('/healthz').set('X-Request-Id', 'trace-123').expect(200)
    expect(res.headers['x-request-id']).toBe('trace-123')

    const text = t.logs.join('')
    expect(t.logs.length).toBeGreaterThan(10)
    const lines = t.logs.map((l) => JSON.parse(l) as { req?: { id?: string }; reqId?: string })
    expect(lines.some((l) => l.req?.id === 'trace-123')).toBe(true)
    for (const secret of secrets) {
      expect(text.includes(secret), `log contains a secret (${secret.slice(0, 8)}…)`).toBe(false)
      // the distinctive middle part of each token too
      if (secret.startsWith('crumb_')) expect(text.includes(secret.slice(40, 80))).toBe(false)
    }
  })
})
