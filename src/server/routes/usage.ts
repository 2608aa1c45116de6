import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { recordReportedUse } from '../../service/index.js'
import { usageBatchSchema } from '../../wire/usage-report.js'
import { authOf } from '../auth.js'
import type { ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { bearer, jsonBody, jsonResponse, problems } from '../schemas.js'

/**
 * `POST /v1/usage`: last used (time, IP, user agent) from verifiers; only moves forward, and a
 * time in the future is taken as now. A report updates a key of the caller's own user, or any
 * key when it carries that key's usage ticket — knowing a token id alone cannot fake last use.
 *
 * @example
 * app.use('/v1', usageRoutes(ctx))
 */
export function usageRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.post('/usage', ctx.authenticateVerifier, async (req: Request, res: Response) => {
    const body = parseRequest(usageBatchSchema, req.body, 'body')
    const updated = await recordReportedUse(
      ctx,
      authOf(res).user.id,
      body.reports.map((r) => ({
        tokenId: r.token_id,
        at: new Date(r.at),
        ip: r.ip ?? null,
        userAgent: r.user_agent ?? null,
        ticket: r.ticket,
      })),
    )
    res.status(202).json({ accepted: body.reports.length, updated })
  })
  return router
}

/** Documents the routes of this file. */
export function registerUsageApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/usage',
    summary: 'Batched last-use reports from verifiers',
    security: bearer,
    request: { body: jsonBody(usageBatchSchema) },
    responses: {
      '202': jsonResponse('accepted', z.object({ accepted: z.number().int(), updated: z.number().int() })),
      ...problems(400, 401, 403, 413),
    },
  })
}
