import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { credentialsSchema } from '../../api-fields.js'
import { CrumbError } from '../../errors.js'
import {
  actorFor,
  createSession,
  keyJson,
  listSessions,
  signOutOthers,
  signOutSession,
} from '../../service/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import { authOf } from '../auth.js'
import type { ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { bearer, jsonBody, jsonResponse, keyIdParams, keySchema, mintedSchema, problems } from '../schemas.js'
import { confirmDestructiveHeader } from './tokens.js'

export { SESSION_KEY_NAME } from '../../service/index.js'

/** `POST /v1/sessions` body. */
export const sessionBody = credentialsSchema.meta({ id: 'SessionRequest' })

/** `GET /v1/sessions` response. */
export const sessionsResponse = z
  .object({
    sessions: z.array(keySchema),
    current: z
      .string()
      .nullable()
      .meta({ description: 'id of the session making this request, if it is one' }),
  })
  .meta({ id: 'Sessions' })

/**
 * Dashboard sessions: keys of source `dashboard-session`, hidden from the key list. Sign in
 * (public), list, sign out one, sign out all others.
 *
 * @example
 * app.use('/v1', sessionsRoutes(ctx))
 */
export function sessionsRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.post('/sessions', async (req: Request, res: Response) => {
    const body = parseRequest(sessionBody, req.body, 'body')
    const minted = await createSession(ctx, body, requestMeta(req))
    res.status(201).json({ token: minted.token, key: keyJson(minted.key) })
  })

  router.get('/sessions', ctx.authenticate, async (_req: Request, res: Response) => {
    const { user, key } = authOf(res)
    const sessions = await listSessions(ctx, user.id)
    res.json({
      sessions: sessions.map(keyJson),
      current: key.source === 'dashboard-session' ? key.id : null,
    })
  })

  router.delete('/sessions/others', ctx.authenticate, async (req: Request, res: Response) => {
    // destructive: signs out every other browser at once (#18 item 12; the dashboard sends it)
    if (!confirmDestructiveHeader.safeParse(req.get('x-confirm-destructive')).success) {
      throw new CrumbError(
        'confirmation_required',
        'signing out every other session needs the header X-Confirm-Destructive: true',
      )
    }
    const auth = authOf(res)
    const revoked = await signOutOthers(ctx, auth, actorFor(auth.user, requestMeta(req), auth.key.id))
    res.json({ revoked })
  })

  router.delete('/sessions/:id', ctx.authenticate, async (req: Request, res: Response) => {
    const { id } = parseRequest(keyIdParams, req.params, 'params')
    const auth = authOf(res)
    const after = await signOutSession(
      ctx,
      auth.user.id,
      id,
      actorFor(auth.user, requestMeta(req), auth.key.id),
    )
    res.json({ key: keyJson(after) })
  })

  return router
}

/** Documents the routes of this file. */
export function registerSessionsApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/sessions',
    summary: 'Dashboard sign-in: a session key (source dashboard-session)',
    request: { body: jsonBody(sessionBody) },
    responses: { '201': jsonResponse('the session key', mintedSchema), ...problems(400, 401, 413, 429) },
  })
  registry.registerPath({
    method: 'get',
    path: '/v1/sessions',
    summary: 'Your active dashboard sessions',
    security: bearer,
    responses: { '200': jsonResponse('sessions', sessionsResponse), ...problems(401, 403) },
  })
  registry.registerPath({
    method: 'delete',
    path: '/v1/sessions/others',
    summary: 'Sign out every other dashboard session',
    security: bearer,
    responses: {
      '200': jsonResponse('how many were signed out', z.object({ revoked: z.number().int() })),
      ...problems(401, 403, 428),
    },
  })
  registry.registerPath({
    method: 'delete',
    path: '/v1/sessions/{id}',
    summary: 'Sign out one dashboard session',
    security: bearer,
    request: { params: keyIdParams },
    responses: {
      '200': jsonResponse('the session', z.object({ key: keySchema })),
      ...problems(400, 401, 403, 404),
    },
  })
}
