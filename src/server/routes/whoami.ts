import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { authOf } from '../auth.js'
import type { ServiceContext } from '../context.js'
import { keyJson } from '../lifecycle.js'
import { bearer, jsonResponse, keySchema, problems, userSchema } from '../schemas.js'

/** The effective scope of the presented token. */
export const scopeSchema = z
  .object({
    ops: z.array(z.string()).nullable(),
    orgs: z.array(z.string()).nullable(),
    apps: z.array(z.string()).nullable(),
    devices: z.array(z.string()).nullable(),
    expires_at: z.string().nullable(),
    not_before: z.string().nullable(),
    caveats: z.array(z.string()),
    attenuated: z.boolean(),
  })
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
      scope: {
        ops: claims.ops,
        orgs: claims.orgs,
        apps: claims.apps,
        devices: claims.devices,
        expires_at: claims.expiresAt?.toISOString() ?? null,
        not_before: claims.notBefore?.toISOString() ?? null,
        caveats: [...claims.caveats],
        attenuated: !isRoot,
      },
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
