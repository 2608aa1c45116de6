import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { deviceSchema } from '../../api-fields.js'
import {
  checkDeviceStartLimit,
  type DeviceReplacement,
  decideDeviceRequest,
  deviceReplacement,
  keyJson,
  pendingDeviceRequest,
  pollDeviceAuthorization,
  startDeviceAuthorization,
} from '../../service/index.js'
import type { DeviceCodeRecord } from '../../store/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import { authOf } from '../auth.js'
import { isUnprovenCookieRequest, type ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { bearer, jsonBody, jsonResponse, mintedSchema, problems } from '../schemas.js'

export { normalizeUserCode, USER_CODE_ALPHABET } from '../../service/index.js'

/** `POST /v1/auth/device` body. */
export const deviceAuthBody = z.object({ device: deviceSchema }).meta({ id: 'DeviceAuthorizationRequest' })

/** `POST /v1/auth/device` response (RFC 8628 §3.2). */
export const deviceAuthResponse = z
  .object({
    device_code: z.string(),
    user_code: z.string(),
    verification_uri: z.string(),
    verification_uri_complete: z.string(),
    expires_in: z.number().int(),
    interval: z.number().int(),
  })
  .meta({ id: 'DeviceAuthorizationResponse' })

/** `POST /v1/auth/device/token` body. */
export const deviceTokenBody = z
  .object({ device_code: z.string().min(1).max(256), grant_type: z.string().max(128).optional() })
  .meta({ id: 'DeviceTokenRequest' })

/** `POST /v1/auth/device/approve` body. */
export const deviceApproveBody = z
  .object({ user_code: z.string().min(1).max(32), approve: z.boolean() })
  .meta({ id: 'DeviceApproveRequest' })

/** `GET /v1/auth/device` query (what the approval page shows). */
export const deviceLookupQuery = z.object({ user_code: z.string().min(1).max(32) })

/** A pending device request as the approval page shows it. */
export const deviceRequestSchema = z
  .object({
    user_code: z.string(),
    device: z.string(),
    status: z.enum(['pending', 'approved', 'denied', 'consumed']),
    created_at: z.string(),
    expires_at: z.string(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    replaces: z
      .object({
        id: z.string(),
        name: z.string(),
        hint: z.string(),
        created_at: z.string(),
        last_used_at: z.string().nullable(),
        last_used_ip: z.string().nullable(),
        last_used_user_agent: z.string().nullable(),
      })
      .nullable()
      .optional()
      .meta({
        description:
          "the caller's active key of the same name that approving revokes (`replaced`): a device that " +
          'merely chose that name would take its place',
      }),
    same_address: z.boolean().nullable().optional().meta({
      description:
        'whether the request comes from the address that key was last used from (null: nothing to compare)',
    }),
  })
  .meta({ id: 'DeviceRequest' })

function replacementJson(
  r: DeviceReplacement,
): Pick<z.infer<typeof deviceRequestSchema>, 'replaces' | 'same_address'> {
  const key = r.replaces
  if (key === undefined) return { replaces: null, same_address: null }
  return {
    replaces: {
      id: key.id,
      name: key.name,
      hint: key.hint,
      created_at: key.createdAt,
      last_used_at: key.lastUsedAt,
      last_used_ip: key.lastUsedIp,
      last_used_user_agent: key.lastUsedUserAgent,
    },
    same_address: r.sameAddress,
  }
}

function requestJson(r: DeviceCodeRecord): z.infer<typeof deviceRequestSchema> {
  return {
    user_code: r.userCode,
    device: r.deviceName,
    status: r.status,
    created_at: r.createdAt,
    expires_at: r.expiresAt,
    ip: r.clientIp,
    user_agent: r.clientUserAgent,
  }
}

function publicUrl(ctx: ServiceContext, req: Request): string {
  return ctx.config.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`
}

/**
 * The device authorization grant (RFC 8628): the CLI asks for codes, the user approves the user
 * code while signed in, the CLI polls for its key (`CLI login on <device>`, same replacement rule
 * as password login).
 *
 * @example
 * app.use('/v1', deviceRoutes(ctx))
 */
export function deviceRoutes(ctx: ServiceContext): Router {
  const router = Router()
  const ttlS = Math.round(ctx.config.deviceCodeTtlMs / 1000)

  router.post('/auth/device', async (req: Request, res: Response) => {
    const meta = requestMeta(req)
    // public and it writes a row: limited per client address (checked before the body is read)
    checkDeviceStartLimit(ctx, meta)
    const body = parseRequest(deviceAuthBody, req.body, 'body')
    const issued = await startDeviceAuthorization(ctx, body.device, meta)
    const base = `${publicUrl(ctx, req)}/device`
    res.set('Cache-Control', 'no-store')
    res.json({
      device_code: issued.deviceCode,
      user_code: issued.request.userCode,
      verification_uri: base,
      verification_uri_complete: `${base}?user_code=${encodeURIComponent(issued.request.userCode)}`,
      expires_in: ttlS,
      interval: issued.request.interval,
    })
  })

  router.post('/auth/device/token', async (req: Request, res: Response) => {
    const body = parseRequest(deviceTokenBody, req.body, 'body')
    const minted = await pollDeviceAuthorization(ctx, body.device_code, requestMeta(req))
    res.set('Cache-Control', 'no-store')
    res.json({ token: minted.token, key: keyJson(minted.key) })
  })

  router.get('/auth/device', ctx.authenticate, async (req: Request, res: Response) => {
    const query = parseRequest(deviceLookupQuery, req.query, 'query')
    const userId = authOf(res).user.id
    // Only deliberate lookups (a bearer token, or the device page proving itself with the CSRF
    // token) count against the limit that guards approvals: a page elsewhere can make a signed-in
    // browser send cookie GETs, and those misses go to a separate, larger budget.
    const limiter = isUnprovenCookieRequest(res) ? ctx.limits.deviceLookup : ctx.limits.deviceCode
    const rec = await pendingDeviceRequest(ctx, query.user_code, userId, limiter)
    const replacement = await deviceReplacement(ctx, rec, userId)
    res.json({ request: { ...requestJson(rec), ...replacementJson(replacement) } })
  })

  router.post('/auth/device/approve', ctx.authenticate, async (req: Request, res: Response) => {
    const body = parseRequest(deviceApproveBody, req.body, 'body')
    const after = await decideDeviceRequest(ctx, authOf(res), body.user_code, body.approve)
    res.json({ request: requestJson(after) })
  })

  return router
}

/** Documents the routes of this file. */
export function registerDeviceApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/auth/device',
    summary: 'Start a device authorization (RFC 8628)',
    request: { body: jsonBody(deviceAuthBody) },
    responses: {
      '200': jsonResponse('codes for the device and the user', deviceAuthResponse),
      ...problems(400, 413, 429),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/v1/auth/device/token',
    summary:
      'Poll for the key: authorization_pending, slow_down, expired_token or access_denied until approved',
    request: { body: jsonBody(deviceTokenBody) },
    responses: { '200': jsonResponse('the new key', mintedSchema), ...problems(400, 413) },
  })
  registry.registerPath({
    method: 'get',
    path: '/v1/auth/device',
    summary: 'Look up a pending device request by user code (for the approval page)',
    security: bearer,
    request: { query: deviceLookupQuery },
    responses: {
      '200': jsonResponse('the request', z.object({ request: deviceRequestSchema })),
      ...problems(400, 401, 403, 404, 429),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/v1/auth/device/approve',
    summary: 'Approve or deny a device request',
    security: bearer,
    request: { body: jsonBody(deviceApproveBody) },
    responses: {
      '200': jsonResponse('the decided request', z.object({ request: deviceRequestSchema })),
      ...problems(400, 401, 403, 404, 429),
    },
  })
}
