import express from 'express'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import * as crumb from '../../src/verifier/index.js'
import { attenuate, memoryLogger, mintFixture } from './helpers.js'

// req.crumb lives in a WeakMap behind an accessor (see request-slot.ts): these pin down that it still
// behaves as the plain property it used to be, everywhere a handler can meet it.
describe('req.crumb', () => {
  const fx = mintFixture()
  const auth = crumb.verifier({ keys: fx.ring, revocations: false, usage: false, logger: memoryLogger() })
  afterAll(() => auth.close())
  const read = crumb.require({ op: 'read', org: 'acme', app: 'web' })
  const bearer = `Bearer ${attenuate(fx.token, ['org = acme', 'app = web', 'ops = read'])}`

  it('does not add a property to the request, and reads back as the verified claims', async () => {
    const app = express()
    app.use(auth)
    app.get('/', read, (req, res) => {
      res.json({ own: Object.hasOwn(req, 'crumb'), user: req.crumb?.userId, token: req.crumb?.tokenId })
    })
    const res = await request(app).get('/').set('Authorization', bearer)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ own: false, user: expect.stringMatching(/^usr_/), token: fx.tokenId })
  })

  it('is seen by a mounted sub-app, whose requests have another prototype', async () => {
    const sub = express()
    sub.get('/status', read, (req, res) => {
      res.json({ user: req.crumb?.userId ?? null })
    })
    const app = express()
    app.use(auth)
    app.use('/api', sub)
    const res = await request(app).get('/api/status').set('Authorization', bearer)
    expect(res.status).toBe(200)
    expect(res.body.user).toMatch(/^usr_/)
  })

  it('belongs to one request: the next request on the same connection without a token has none', async () => {
    const app = express()
    app.use(crumb.verifier({ keys: fx.ring, revocations: false, usage: false, credentialsRequired: false }))
    app.get('/', (req, res) => {
      res.json({ user: req.crumb?.userId ?? null })
    })
    const server = app.listen(0, '127.0.0.1')
    try {
      const agent = request.agent(server)
      expect((await agent.get('/').set('Authorization', bearer)).body.user).toMatch(/^usr_/)
      expect((await agent.get('/')).body.user).toBeNull()
    } finally {
      server.close()
    }
  })

  it('cleared by assigning undefined, makes require refuse the request (fail closed)', async () => {
    const app = express()
    app.use(auth)
    app.use((req, _res, next) => {
      req.crumb = undefined
      next()
    })
    app.get('/', read, (_req, res) => {
      res.json({ ok: true })
    })
    const res = await request(app).get('/').set('Authorization', bearer)
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('invalid_token')
  })

  it('replaced by a hand-made object, is not trusted by require or crumbOf', async () => {
    const app = express()
    app.use(auth)
    app.use((req, _res, next) => {
      req.crumb = { ...(req.crumb as crumb.CrumbAuth), ops: null }
      next()
    })
    app.get('/', read, (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/me', (req, res) => {
      try {
        res.json({ user: crumb.crumbOf(req).userId })
      } catch (error) {
        crumb.sendProblem(res, error)
      }
    })
    expect((await request(app).get('/').set('Authorization', bearer)).status).toBe(401)
    const me = await request(app).get('/me').set('Authorization', bearer)
    expect(me.status).toBe(401)
  })
})
