import express from 'express'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import * as crumb from '../../src/verifier/index.js'
import { attenuate, mintFixture } from './helpers.js'

const fx = mintFixture()
const auth = crumb.verifier({ keys: fx.ring, revocations: false })
afterAll(() => auth.close())

const app = express()
app.use(auth)
const org = (req: express.Request): string => String(req.params.org)
app.get(
  '/orgs/:org/apps/:app/status',
  crumb.require({ op: 'read', org, app: (req) => String(req.params.app) }),
  (_req, res) => {
    res.send('ok')
  },
)
app.post(
  '/orgs/:org/apps/:app/deploys',
  crumb.require({ op: 'deploy', org, app: (req) => String(req.params.app) }),
  (_req, res) => {
    res.send('ok')
  },
)
app.get('/orgs/:org/billing', crumb.require({ op: 'read', org }), (_req, res) => {
  res.send('ok')
})
app.get('/fixed', crumb.requireScope({ op: 'read', org: 'acme', app: 'web' }), (_req, res) => {
  res.send('ok')
})
app.get(
  '/by-query',
  crumb.require({
    op: 'read',
    org: (req) => (typeof req.query.org === 'string' ? req.query.org : undefined),
  }),
  (_req, res) => {
    res.send('ok')
  },
)
app.get(
  '/throws',
  crumb.require({
    org: () => {
      throw new Error('boom')
    },
  }),
  (_req, res) => {
    res.send('ok')
  },
)
app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status(500).send('route error')
})
const unguarded = express()
unguarded.get('/x', crumb.require({ op: 'read' }), (_req, res) => {
  res.send('ok')
})

const call = (method: 'get' | 'post', path: string, token: string) =>
  request(app)[method](path).set('Authorization', `Bearer ${token}`)

describe('require()', () => {
  const ci = attenuate(fx.token, ['org = acme', 'app = web', 'ops = deploy'])
  const readOnly = attenuate(fx.token, ['org = acme', 'ops = read'])

  it('admits what the scope admits, with values or functions of the request', async () => {
    expect((await call('post', '/orgs/acme/apps/web/deploys', ci)).status).toBe(200)
    expect((await call('get', '/orgs/acme/apps/api/status', readOnly)).status).toBe(200)
    expect((await call('get', '/orgs/acme/billing', readOnly)).status).toBe(200)
    expect((await call('get', '/fixed', readOnly)).status).toBe(200)
    expect((await call('get', '/by-query?org=acme', readOnly)).status).toBe(200)
  })

  it('an unrestricted root token passes any route', async () => {
    for (const path of ['/orgs/x/apps/y/status', '/orgs/x/billing', '/by-query']) {
      expect((await call('get', path, fx.token)).status).toBe(200)
    }
  })

  it('refuses another op, org or app with 403 insufficient_scope', async () => {
    for (const [method, path, token] of [
      ['get', '/orgs/acme/apps/web/status', ci],
      ['post', '/orgs/acme/apps/web/deploys', readOnly],
      ['post', '/orgs/beta/apps/web/deploys', ci],
      ['post', '/orgs/acme/apps/api/deploys', ci],
      ['get', '/by-query?org=beta', readOnly],
    ] as const) {
      const res = await call(method, path, token)
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(res.body.code).toBe('insufficient_scope')
      expect(res.headers['content-type']).toMatch(/problem\+json/)
    }
  })

  it('fails closed when the route does not name a dimension the token is limited on', async () => {
    const res = await call(
      'get',
      '/orgs/acme/billing',
      attenuate(fx.token, ['org = acme', 'app = web', 'ops = read']),
    )
    expect(res.status).toBe(403)
    expect(res.body.code).toBe('caveat_failed')
    expect(res.body.detail).toContain('app')
    const noOrg = await call('get', '/by-query', readOnly)
    expect(noOrg.body.code).toBe('caveat_failed')
  })

  it('answers 401 when no verifier ran, and passes errors of scope functions to next()', async () => {
    const res = await request(unguarded).get('/x')
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('invalid_token')
    expect((await call('get', '/throws', fx.token)).status).toBe(500)
  })
})
