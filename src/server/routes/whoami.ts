import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { keyJson } from '../../service/index.js'
import { authOf } from '../auth.js'
import type { ServiceContext } from '../context.js'
import {
  bearer,
  claimsScopeJson,
  claimsScopeSchema,
  jsonResponse,
  keySchema,
  problems,
  userSchema,
} from '../schemas.js'

/** The effective scope of the presented token. */
export const scopeSchema = z
  .object({ ...claimsScopeSchema.shape, attenuated: z.boolean() })
  .meta({ id: 'Scope', description: 'null = unrestricted on that dimension' })

/** `GET /v1/whoami` response. */
export const whoamiResponse = z
  .object({ user: userSchema, key: keySchema, scope: scopeSchema })
  .meta({ id: 'WhoamiResponse' })

/**
 * `GET /v1/whoami`: the user, the key behind the presented token, and the token's scope.
 *
 * @example
 * app.use('/v1', whoamiRoutes(ctx))
 */
export function whoamiRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.get('/whoami', ctx.authenticate, (_req: Request, res: Response) => {
    const { user, key, claims, isRoot } = authOf(res)
    res.json({
      user: { id: user.id, email: user.email },
      key: keyJson(key),
      scope: { ...claimsScopeJson(claims), attenuated: !isRoot },
    })
  })
  return router
}

/** Documents the routes of this file. */
export function registerWhoamiApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/whoami',
    summary: 'Who the presented token belongs to, and what it admits',
    security: bearer,
    responses: { '200': jsonResponse('the caller', whoamiResponse), ...problems(401, 403) },
  })
}
