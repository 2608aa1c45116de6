import { randomUUID } from 'node:crypto'
import express, { type Express, type Request, type RequestHandler } from 'express'
import * as z from 'zod'
import {
  CrumbError,
  type ProtectedResource,
  type RequireOptions,
  sendProblem,
} from '../../src/verifier/index.js'

/** How the deploy API authenticates and authorizes: crumb's `verifier()` and `require()` in practice. */
export interface DeployApiAuth {
  /** Runs before every protected route (sets `req.crumb`). */
  readonly authenticate: RequestHandler
  /** Guards one route by op / org / app. */
  readonly authorize: (scope: RequireOptions) => RequestHandler
  /** What `/healthz` reports about the verifier. */
  readonly status?: () => unknown
  /** Serves the OAuth protected-resource metadata (RFC 9728), which needs no token. */
  readonly resource?: ProtectedResource
}

/** One deploy the API remembers (in memory: this is an example). */
export interface Deploy {
  readonly id: string
  readonly org: string
  readonly app: string
  readonly ref: string
  readonly by: string | null
  readonly device: string | null
  readonly at: string
}

const deployBody = z.object({ ref: z.string().min(1).max(200).default('main') }).strict()

const param = (name: 'org' | 'app') => (req: Request) => {
  const value = req.params[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * The example deploy API: apps under orgs, each route guarded by the op it performs.
 * `GET /orgs/:org/apps/:app/status` (read), `POST /orgs/:org/apps/:app/deploys` (deploy),
 * `DELETE /orgs/:org/apps/:app` (write), `GET /healthz` (no auth), and with `resource`,
 * `GET /.well-known/oauth-protected-resource` (no auth).
 *
 * @example
 * import * as crumb from 'crumb/express'
 * const auth = crumb.verifier({ keys: process.env.CRUMB_KEYRING, server, serviceToken })
 * createDeployApi({ authenticate: auth, authorize: crumb.require, status: auth.status }).listen(8080)
 */
export function createDeployApi(auth: DeployApiAuth): Express {
  const app = express()
  app.disable('x-powered-by')
  const apps = new Map<string, { deploys: Deploy[]; deleted: boolean }>()
  const key = (req: Request): string => `${String(req.params.org)}/${String(req.params.app)}`
  const scope = (op: string): RequireOptions => ({ op, org: param('org'), app: param('app') })

  if (auth.resource !== undefined) app.get([...auth.resource.paths], auth.resource)

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, verifier: auth.status?.() ?? null })
  })

  app.use(auth.authenticate)

  app.get('/orgs/:org/apps/:app/status', auth.authorize(scope('read')), (req, res) => {
    const state = apps.get(key(req))
    res.json({
      org: req.params.org,
      app: req.params.app,
      status: state === undefined ? 'never_deployed' : state.deleted ? 'deleted' : 'running',
      current: state?.deploys.at(-1) ?? null,
      viewer: req.crumb?.userId ?? null,
    })
  })

  app.post(
    '/orgs/:org/apps/:app/deploys',
    express.json({ limit: '4kb' }),
    auth.authorize(scope('deploy')),
    (req, res) => {
      const body = deployBody.safeParse(req.body ?? {})
      if (!body.success) {
        sendProblem(res, new CrumbError('validation_failed', 'body must be {"ref": "<git ref>"}'))
        return
      }
      const deploy: Deploy = {
        id: `dep_${randomUUID()}`,
        org: String(req.params.org),
        app: String(req.params.app),
        ref: body.data.ref,
        by: req.crumb?.userId ?? null,
        device: req.crumb?.device ?? null,
        at: new Date().toISOString(),
      }
      let state = apps.get(key(req))
      if (state === undefined) {
        state = { deploys: [], deleted: false }
        apps.set(key(req), state)
      }
      state.deleted = false
      state.deploys.push(deploy)
      if (state.deploys.length > 100) state.deploys.shift()
      res.status(201).json({ deploy })
    },
  )

  app.delete('/orgs/:org/apps/:app', auth.authorize(scope('write')), (req, res) => {
    const state = apps.get(key(req)) ?? { deploys: [], deleted: true }
    state.deleted = true
    apps.set(key(req), state)
    res.json({ org: req.params.org, app: req.params.app, deleted: true })
  })

  return app
}
