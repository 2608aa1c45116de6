import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { listAudit } from '../../service/index.js'
import { AUDIT_EVENT_TYPES, type AuditEvent } from '../../store/index.js'
import { authOf } from '../auth.js'
import type { ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { bearer, jsonResponse, keyIdSchema, problems } from '../schemas.js'

/** `GET /v1/audit` query. */
export const auditQuery = z.object({
  key_id: keyIdSchema.optional(),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'a next_cursor from an earlier page')
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, '1 to 500')
    .optional(),
})

/** One audit event as JSON. */
export const auditEventSchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    event: z.enum(AUDIT_EVENT_TYPES),
    key_id: z.string().nullable(),
    actor: z.string(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'AuditEvent' })

/** `GET /v1/audit` response. */
export const auditResponse = z
  .object({ events: z.array(auditEventSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'AuditPage' })

function eventJson(e: AuditEvent): z.infer<typeof auditEventSchema> {
  return {
    id: e.id,
    at: e.at,
    event: e.event,
    key_id: e.keyId,
    actor: e.actor,
    ip: e.ip,
    user_agent: e.userAgent,
    detail: e.detail,
  }
}

/**
 * `GET /v1/audit[?key_id=&cursor=&limit=]`: the caller's audit events, newest first.
 *
 * @example
 * app.use('/v1', auditRoutes(ctx))
 */
export function auditRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.get('/audit', ctx.authenticate, async (req: Request, res: Response) => {
    const query = parseRequest(auditQuery, req.query, 'query')
    const page = await listAudit(ctx, authOf(res).user.id, {
      keyId: query.key_id,
      cursor: query.cursor === undefined ? undefined : Number(query.cursor),
      limit: query.limit === undefined ? undefined : Number(query.limit),
    })
    res.json({
      events: page.events.map(eventJson),
      next_cursor: page.nextCursor === null ? null : String(page.nextCursor),
    })
  })
  return router
}

/** Documents the routes of this file. */
export function registerAuditApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/audit',
    summary: 'Your audit events, newest first (append-only; outlives deleted keys)',
    security: bearer,
    request: { query: auditQuery },
    responses: { '200': jsonResponse('a page of events', auditResponse), ...problems(400, 401, 403) },
  })
}
