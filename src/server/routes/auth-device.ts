import { randomBytes, randomInt } from 'node:crypto'
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { deviceSchema } from '../../api-fields.js'
import { CrumbError } from '../../errors.js'
import { type DeviceCodeRecord, hashDeviceCode } from '../../store/index.js'
import { authOf, requireUnrestricted } from '../auth.js'
import { isUnprovenCookieRequest, requestMeta, type ServiceContext } from '../context.js'
import { actorOf, keyJson, type MintedKey, mintKey } from '../lifecycle.js'
import { parseRequest, RateLimited } from '../problem.js'
import type { SlidingWindowLimiter } from '../rate-limit.js'
import { bearer, jsonBody, jsonResponse, mintedSchema, problems } from '../schemas.js'
import { cliKeyName } from './auth-login.js'

/** Consonants only (RFC 8628 §6.1): no vowels to spell words, no 0/O or 1/I to confuse. */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'

/** `WDJB-MJHT`: 8 characters of {@link USER_CODE_ALPHABET} (≈34.6 bits). */
function newUserCode(): string {
  let s = ''
  for (let i = 0; i < 8; i++) s += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]
  return `${s.slice(0, 4)}-${s.slice(4)}`
}

/**
 * What a person typed, normalised: case and separators ignored (`wdjb mjht` → `WDJB-MJHT`).
 *
 * @example
 * normalizeUserCode('wdjbmjht') // 'WDJB-MJHT'
 */
export function normalizeUserCode(input: string): string {
  const s = input.toUpperCase().replace(/[^A-Z]/g, '')
  return s.length === 8 ? `${s.slice(0, 4)}-${s.slice(4)}` : s
}

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

/**
 * What approving `rec` would replace for `userId` (the active key named `CLI login on <device>`),
 * and whether the request comes from where that key was last used.
 */
function replacementJson(
  ctx: ServiceContext,
  rec: DeviceCodeRecord,
  userId: string,
): Pick<z.infer<typeof deviceRequestSchema>, 'replaces' | 'same_address'> {
  const key = ctx.store.keys.findActiveByName(userId, cliKeyName(rec.deviceName), ctx.clock.now())
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
    same_address: key.lastUsedIp === null || rec.clientIp === null ? null : key.lastUsedIp === rec.clientIp,
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
 * A pending, unexpired request by user code, or 404. Unknown codes count against the caller
 * (`userId`) in `limiter`: after its limit of misses per window the answer is 429, so a signed-in
 * user cannot enumerate other people's pending codes.
 */
function pendingRequest(
  ctx: ServiceContext,
  userCode: string,
  userId: string,
  limiter: SlidingWindowLimiter = ctx.limits.deviceCode,
): DeviceCodeRecord {
  const limitKey = `user:${userId}`
  const wait = limiter.retryAfterMs(limitKey)
  if (wait > 0) throw new RateLimited('too many unknown device codes entered; try again later', wait / 1000)
  const rec = ctx.store.deviceCodes.findByUserCode(normalizeUserCode(userCode))
  if (rec === undefined || rec.status !== 'pending' || rec.expiresAt <= ctx.clock.now().toISOString()) {
    limiter.hit(limitKey)
    throw new CrumbError('not_found', 'no pending device request with this code')
  }
  return rec
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
    // public and it writes a row: limited per client address
    const ipKey = `ip:${meta.ip ?? '?'}`
    const wait = ctx.limits.deviceStart.retryAfterMs(ipKey)
    if (wait > 0) throw new RateLimited('too many device authorizations from this address', wait / 1000)
    const body = parseRequest(deviceAuthBody, req.body, 'body')
    ctx.limits.deviceStart.hit(ipKey)
    const now = ctx.clock.now()
    const issued = await ctx.writes.run(() => {
      for (let attempt = 0; attempt < 10; attempt++) {
        const deviceCode = randomBytes(32).toString('base64url')
        const rec = ctx.store.deviceCodes.create({
          deviceCodeHash: hashDeviceCode(deviceCode),
          userCode: newUserCode(),
          deviceName: body.device,
          clientIp: meta.ip,
          clientUserAgent: meta.userAgent,
          createdAt: now,
          expiresAt: new Date(now.getTime() + ctx.config.deviceCodeTtlMs),
          interval: ctx.config.devicePollIntervalS,
        })
        if (rec !== undefined) return { deviceCode, rec }
      }
      throw new Error('could not allocate a unique user code')
    })
    const base = `${publicUrl(ctx, req)}/device`
    res.set('Cache-Control', 'no-store')
    res.json({
      device_code: issued.deviceCode,
      user_code: issued.rec.userCode,
      verification_uri: base,
      verification_uri_complete: `${base}?user_code=${encodeURIComponent(issued.rec.userCode)}`,
      expires_in: ttlS,
      interval: issued.rec.interval,
    })
  })

  router.post('/auth/device/token', async (req: Request, res: Response) => {
    const body = parseRequest(deviceTokenBody, req.body, 'body')
    const hash = hashDeviceCode(body.device_code)
    // polls are recorded even when the answer is an error, so the outcome is returned, not thrown
    const outcome = await ctx.writes.run((): { error: CrumbError } | { minted: MintedKey } => {
      const rec = ctx.store.deviceCodes.findByDeviceCodeHash(hash)
      const now = ctx.clock.now()
      if (rec === undefined || rec.status === 'consumed' || rec.expiresAt <= now.toISOString()) {
        return {
          error: new CrumbError('expired_token', 'the device code has expired or was used; start again'),
        }
      }
      if (
        rec.lastPolledAt !== null &&
        now.getTime() - new Date(rec.lastPolledAt).getTime() < rec.interval * 1000
      ) {
        ctx.store.deviceCodes.markPolled(hash, now, rec.interval + 5)
        return {
          error: new CrumbError(
            'slow_down',
            `polling too fast; wait ${rec.interval + 5} seconds between polls`,
          ),
        }
      }
      ctx.store.deviceCodes.markPolled(hash, now)
      if (rec.status === 'pending') {
        return { error: new CrumbError('authorization_pending', 'waiting for the user to approve') }
      }
      const user = rec.userId === null ? undefined : ctx.store.users.get(rec.userId)
      if (rec.status === 'denied' || user === undefined) {
        return { error: new CrumbError('access_denied', 'the user denied this device') }
      }
      const minted = mintKey(ctx, {
        user,
        name: cliKeyName(rec.deviceName),
        source: 'cli-login',
        ttlMs: ctx.config.tokenTtlMs,
        replaceSameName: true,
        who: actorOf(req, user),
        alsoAudit: ['login'],
        inTransaction: (key) => {
          if (!ctx.store.deviceCodes.consume(hash, key.id, now)) {
            throw new CrumbError('expired_token', 'the device code has expired or was used; start again')
          }
        },
      })
      return { minted }
    })
    if ('error' in outcome) throw outcome.error
    res.set('Cache-Control', 'no-store')
    res.json({ token: outcome.minted.token, key: keyJson(outcome.minted.key) })
  })

  router.get('/auth/device', ctx.authenticate, (req: Request, res: Response) => {
    const query = parseRequest(deviceLookupQuery, req.query, 'query')
    const userId = authOf(res).user.id
    // Only deliberate lookups (a bearer token, or the device page proving itself with the CSRF
    // token) count against the limit that guards approvals: a page elsewhere can make a signed-in
    // browser send cookie GETs, and those misses go to a separate, larger budget.
    const deliberate = !isUnprovenCookieRequest(res)
    const limiter = deliberate ? ctx.limits.deviceCode : ctx.limits.deviceLookup
    const rec = pendingRequest(ctx, query.user_code, userId, limiter)
    res.json({ request: { ...requestJson(rec), ...replacementJson(ctx, rec, userId) } })
  })

  router.post('/auth/device/approve', ctx.authenticate, async (req: Request, res: Response) => {
    const body = parseRequest(deviceApproveBody, req.body, 'body')
    const auth = authOf(res)
    if (body.approve) requireUnrestricted(auth)
    const after = await ctx.writes.run(() => {
      const rec = pendingRequest(ctx, body.user_code, auth.user.id)
      const now = ctx.clock.now()
      const decided = body.approve
        ? ctx.store.deviceCodes.approve(rec.userCode, auth.user.id, now) !== undefined
        : ctx.store.deviceCodes.deny(rec.userCode, auth.user.id, now)
      if (!decided) throw new CrumbError('not_found', 'no pending device request with this code')
      return ctx.store.deviceCodes.findByUserCode(rec.userCode) ?? rec
    })
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
