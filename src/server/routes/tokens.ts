import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { MAX_CAVEAT_LENGTH } from '../../../caveats/index.js'
import { keyNameSchema } from '../../api-fields.js'
import { durationSchema } from '../../duration.js'
import { CrumbError } from '../../errors.js'
import {
  actorFor,
  createKey,
  hardDeleteKey,
  keyJson,
  listKeys,
  ownKey,
  renameKey,
  requireUnrestricted,
  revokeKey,
  rotateKey,
} from '../../service/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import { authOf } from '../auth.js'
import type { ServiceContext } from '../context.js'
import { parseRequest, ValidationProblem } from '../problem.js'
import { bearer, jsonBody, jsonResponse, keyIdParams, keySchema, mintedSchema, problems } from '../schemas.js'

/** `GET /v1/tokens` query. */
export const listQuery = z.object({ include_revoked: z.enum(['true', 'false']).optional() })

/** `POST /v1/tokens` body. */
export const createKeyBody = z
  .object({
    name: keyNameSchema,
    caveats: z
      .array(z.string().max(MAX_CAVEAT_LENGTH))
      .max(32)
      .optional()
      .meta({ description: 'caveat language, e.g. ["org = acme", "ops = deploy"]' }),
    expires_in: z
      .string()
      .optional()
      .meta({ description: 'lifetime such as 30d, 12h, 90s or 1h30m (default 90d, capped by the server)' }),
  })
  .meta({ id: 'CreateKeyRequest' })

/** `PATCH /v1/tokens/:id` body. */
export const renameBody = z.object({ name: keyNameSchema }).meta({ id: 'RenameKeyRequest' })

/** `DELETE /v1/tokens/:id` query. */
export const deleteQuery = z.object({ hard: z.enum(['true', 'false']).optional() })

/**
 * `X-Confirm-Destructive` header of a hard delete: it goes ahead only on `true` (any case, spaces
 * around ignored); absent or anything else is 428 `confirmation_required`, not a 400.
 */
export const confirmDestructiveHeader = z.string().trim().toLowerCase().pipe(z.literal('true'))

/** `POST /v1/tokens/:id/rotate` body. */
export const rotateBody = z
  .object({
    grace: z.string().optional().meta({ description: 'how long the old key keeps working: 0s to 24h' }),
  })
  .meta({ id: 'RotateKeyRequest' })

/** `POST /v1/tokens/:id/rotate` response. */
export const rotateResponse = z
  .object({ token: z.string(), key: keySchema, previous: keySchema })
  .meta({ id: 'RotateKeyResponse' })

function parseDurationField(field: string, text: string, max: number, min: number): number {
  const parsed = durationSchema({ min, max }).safeParse(text)
  if (parsed.success) return parsed.data
  const message = parsed.error.issues[0]?.message ?? 'invalid duration'
  throw new ValidationProblem(`${field}: ${message}`, [{ in: 'body', path: field, message }])
}

/**
 * The key routes: list, create, rename, revoke / hard delete, rotate. GET is `read`, the rest
 * `write` (a read-only token lists but cannot change anything).
 *
 * @example
 * app.use('/v1', tokensRoutes(ctx))
 */
export function tokensRoutes(ctx: ServiceContext): Router {
  const router = Router()

  router.get('/tokens', ctx.authenticate, async (req: Request, res: Response) => {
    const query = parseRequest(listQuery, req.query, 'query')
    const keys = await listKeys(ctx, authOf(res).user.id, {
      includeRevoked: query.include_revoked === 'true',
    })
    res.json({ keys: keys.map(keyJson) })
  })

  router.post('/tokens', ctx.authenticate, async (req: Request, res: Response) => {
    const auth = authOf(res)
    const body = parseRequest(createKeyBody, req.body, 'body')
    const ttlMs =
      body.expires_in === undefined
        ? Math.min(ctx.config.tokenTtlMs, ctx.config.tokenMaxTtlMs)
        : parseDurationField('expires_in', body.expires_in, ctx.config.tokenMaxTtlMs, 1000)
    const who = actorFor(auth.user, requestMeta(req), auth.key.id)
    const minted = await createKey(ctx, auth, { name: body.name, caveats: body.caveats ?? [], ttlMs }, who)
    res.status(201).json({ token: minted.token, key: keyJson(minted.key) })
  })

  router.patch('/tokens/:id', ctx.authenticate, async (req: Request, res: Response) => {
    const { id } = parseRequest(keyIdParams, req.params, 'params')
    const body = parseRequest(renameBody, req.body, 'body')
    const auth = authOf(res)
    const key = await ownKey(ctx, auth.user.id, id)
    const after = await renameKey(ctx, key, body.name, actorFor(auth.user, requestMeta(req), auth.key.id))
    res.json({ key: keyJson(after) })
  })

  router.delete('/tokens/:id', ctx.authenticate, async (req: Request, res: Response) => {
    const { id } = parseRequest(keyIdParams, req.params, 'params')
    const query = parseRequest(deleteQuery, req.query, 'query')
    const auth = authOf(res)
    const key = await ownKey(ctx, auth.user.id, id)
    const who = actorFor(auth.user, requestMeta(req), auth.key.id)
    if (query.hard === 'true') {
      if (!confirmDestructiveHeader.safeParse(req.get('x-confirm-destructive')).success) {
        throw new CrumbError(
          'confirmation_required',
          'hard delete needs the header X-Confirm-Destructive: true',
        )
      }
      await hardDeleteKey(ctx, key, who)
      res.status(204).end()
      return
    }
    const after = await revokeKey(ctx, { key, who, event: 'revoked', reason: 'user', protectLast: true })
    res.json({ key: keyJson(after) })
  })

  router.post('/tokens/:id/rotate', ctx.authenticate, async (req: Request, res: Response) => {
    const { id } = parseRequest(keyIdParams, req.params, 'params')
    const body = parseRequest(rotateBody, req.body, 'body')
    const graceMs =
      body.grace === undefined ? 0 : parseDurationField('grace', body.grace, ctx.config.rotationMaxGraceMs, 0)
    const auth = authOf(res)
    requireUnrestricted(auth)
    const key = await ownKey(ctx, auth.user.id, id)
    const rotated = await rotateKey(
      ctx,
      auth,
      key,
      graceMs,
      actorFor(auth.user, requestMeta(req), auth.key.id),
    )
    res
      .status(201)
      .json({ token: rotated.token, key: keyJson(rotated.key), previous: keyJson(rotated.previous) })
  })

  return router
}

/** Documents the routes of this file. */
export function registerTokensApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/tokens',
    summary: 'List your keys (revoked keys and dashboard sessions hidden unless asked)',
    security: bearer,
    request: { query: listQuery },
    responses: {
      '200': jsonResponse('your keys, newest first', z.object({ keys: z.array(keySchema) })),
      ...problems(400, 401, 403),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/v1/tokens',
    summary: 'Create a key (root token) with optional caveats; rate-limited per user (default 10 per hour)',
    security: bearer,
    request: { body: jsonBody(createKeyBody) },
    responses: { '201': jsonResponse('the new key', mintedSchema), ...problems(400, 401, 403, 413, 429) },
  })
  registry.registerPath({
    method: 'patch',
    path: '/v1/tokens/{id}',
    summary: 'Rename a key',
    security: bearer,
    request: { params: keyIdParams, body: jsonBody(renameBody) },
    responses: {
      '200': jsonResponse('the key', z.object({ key: keySchema })),
      ...problems(400, 401, 403, 404),
    },
  })
  registry.registerPath({
    method: 'delete',
    path: '/v1/tokens/{id}',
    summary: 'Revoke a key (the row stays); ?hard=true with X-Confirm-Destructive: true deletes the row',
    security: bearer,
    request: { params: keyIdParams, query: deleteQuery },
    responses: {
      '200': jsonResponse('the revoked key', z.object({ key: keySchema })),
      '204': { description: 'hard-deleted' },
      ...problems(400, 401, 403, 404, 409, 428),
    },
  })
  registry.registerPath({
    method: 'post',
    path: '/v1/tokens/{id}/rotate',
    summary: 'Mint a replacement; the old key is revoked after the grace period (0 = now)',
    security: bearer,
    request: { params: keyIdParams, body: jsonBody(rotateBody) },
    responses: {
      '201': jsonResponse('the new and the old key', rotateResponse),
      ...problems(400, 401, 403, 404, 409, 429),
    },
  })
}
