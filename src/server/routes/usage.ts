import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { isUsageTicket } from '../../token/index.js'
import { usageBatchSchema } from '../../wire/usage-report.js'
import { authOf } from '../auth.js'
import type { ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { bearer, jsonBody, jsonResponse, problems } from '../schemas.js'

/**
 * `POST /v1/usage`: last used (time, IP, user agent) from verifiers; only moves forward, and a
 * time in the future is taken as now. A report updates an active key of the caller's own user, or
 * any active key when it carries a current usage ticket of that key — knowing a token id alone
 * cannot fake last use, and neither a revoked key nor an old ticket keeps a key looking used.
 *
 * @example
 * app.use('/v1', usageRoutes(ctx))
 */
export function usageRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.post('/usage', ctx.authenticateVerifier, async (req: Request, res: Response) => {
    const body = parseRequest(usageBatchSchema, req.body, 'body')
    const caller = authOf(res).user.id
    const at = ctx.clock.now()
    const now = at.getTime()
    // only an active key takes reports: a revoked or expired one stays as it was last seen
    const vouched = (tokenId: string, ticket: string | undefined): boolean => {
      const key = ctx.store.keys.get(tokenId, at)
      if (key === undefined || key.status !== 'active') return false
      if (key.userId === caller) return true
      return isUsageTicket(ctx.ring, key.kid, key.id, ticket, at)
    }
    const reports = body.reports
      .filter((r) => vouched(r.token_id, r.ticket))
      .map((r) => ({
        tokenId: r.token_id,
        at: new Date(Math.min(new Date(r.at).getTime(), now)),
        ip: r.ip ?? null,
        userAgent: r.user_agent ?? null,
      }))
    const updated = await ctx.writes.run(() => ctx.store.keys.recordUsage(reports))
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
