import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import type { ServiceContext } from '../context.js'
import { jsonResponse } from '../schemas.js'

/** `GET /healthz` response. */
export const healthResponse = z.object({ status: z.enum(['ok', 'unavailable']) }).meta({ id: 'Health' })

/**
 * `GET /healthz` and `/v1/healthz` (public): 200 while the database answers.
 *
 * @example
 * app.use(healthRoutes(ctx))
 */
export function healthRoutes(ctx: ServiceContext): Router {
  const router = Router()
  const handler = async (_req: Request, res: Response): Promise<void> => {
    const ok = await ctx.store.health()
    res.set('Cache-Control', 'no-store')
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable' })
  }
  router.get(['/healthz', '/v1/healthz'], handler)
  return router
}

/** Documents the routes of this file. */
export function registerHealthApi(registry: OpenAPIRegistry): void {
  for (const path of ['/v1/healthz', '/healthz']) {
    registry.registerPath({
      method: 'get',
      path,
      summary: 'Liveness: 200 while the database answers',
      responses: {
        '200': jsonResponse('healthy', healthResponse),
        '503': jsonResponse('unhealthy', healthResponse),
      },
    })
  }
}
