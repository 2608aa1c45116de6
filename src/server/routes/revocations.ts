import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { type ActiveKids, FEED_MAX_WAIT_S, limitRevocationsFrom, revokeByToken } from '../../service/index.js'
import type { FeedEntry, FeedRead } from '../../store/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import { type RevocationEntryJson, revocationFeedSchema } from '../../wire/revocation-feed.js'
import type { ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { bearer, jsonBody, jsonResponse, problems } from '../schemas.js'

/** `POST /v1/revocations` body: the token to revoke (possession is the proof). */
export const revokeBody = z
  .object({
    token: z.string().min(1).max(16_384).meta({ description: 'the token, with any discharges comma-joined' }),
    // beside DESIGN's fields (#18 item 9): `crumb logout` says so, and is audited as the user logging out
    reason: z
      .literal('logout')
      .optional()
      .meta({ description: "`logout`: the holder is signing this device out (audited as the key's user)" }),
  })
  .meta({ id: 'RevokeRequest' })

/** `POST /v1/revocations` response. */
export const revokeResponse = z
  .object({ revoked: z.object({ token_id: z.string(), revocation_id: z.string().optional() }) })
  .meta({ id: 'RevokeResponse' })

/** `GET /v1/revocations` query. */
export const feedQuery = z.object({
  since: z
    .string()
    .regex(/^(\d{1,15})?$/, 'a cursor from an earlier response')
    .optional()
    .meta({ description: 'cursor; absent, empty or 0 = full snapshot' }),
  wait: z
    .string()
    .regex(/^\d{1,6}(\.\d{1,3})?$/, 'seconds to wait')
    .optional()
    .meta({ description: `long-poll: seconds to wait for an entry (at most ${FEED_MAX_WAIT_S})` }),
  kids: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'the kids digest of an earlier response')
    .optional()
    .meta({
      description:
        'digest of the `active_kids` the reader holds (see activeKidsDigest): a long-poll is answered ' +
        "at once when the key ring's differ",
    }),
})

function entryJson(e: FeedEntry): RevocationEntryJson {
  return {
    token_id: e.tokenId,
    ...(e.revocationId === undefined ? {} : { revocation_id: e.revocationId }),
    expires_at: e.expiresAt,
    ...(e.effectiveAt === undefined ? {} : { effective_at: e.effectiveAt }),
  }
}

/**
 * The feed answer's body, serialized once per page: a revocation wakes every long-poll at once, and
 * those holding one cursor get the same page object from the feed (one shared read), so they share
 * one body too instead of each stringifying it (#17). Keyed by the page, then by the active kids
 * (the same object while the key ring is unchanged).
 *
 * @example
 * const feedBody = feedBodies()
 * res.end(feedBody(page, ctx.feed.activeKids()))
 */
export function feedBodies(): (page: FeedRead, active: ActiveKids | undefined) => Buffer {
  const bodies = new WeakMap<FeedRead, { readonly active: ActiveKids | undefined; readonly body: Buffer }>()
  return (page, active) => {
    const known = bodies.get(page)
    if (known !== undefined && known.active === active) return known.body
    const body = Buffer.from(
      JSON.stringify({
        cursor: page.cursor,
        entries: page.entries.map(entryJson),
        ...(page.reset === undefined ? {} : { reset: true }),
        ...(active === undefined ? {} : { active_kids: active.kids }),
      }),
    )
    bodies.set(page, { active, body })
    return body
  }
}

/**
 * Revocation: `POST /v1/revocations` (public — a holder revokes a token and its descendants) and
 * the feed `GET /v1/revocations?since=&wait=` (long-poll) verifiers sync from.
 *
 * @example
 * app.use('/v1', revocationsRoutes(ctx))
 */
export function revocationsRoutes(ctx: ServiceContext): Router {
  const router = Router()
  const feedBody = feedBodies()

  router.post('/revocations', async (req: Request, res: Response) => {
    const meta = requestMeta(req)
    // public and it writes what every verifier downloads: limited per address (before the body is
    // read) and per token id (by the service, once the signature is checked)
    limitRevocationsFrom(ctx, meta)
    const body = parseRequest(revokeBody, req.body, 'body')
    const revoked = await revokeByToken(ctx, body.token, meta, { reason: body.reason })
    res.json({
      revoked: {
        token_id: revoked.tokenId,
        ...(revoked.revocationId === undefined ? {} : { revocation_id: revoked.revocationId }),
      },
    })
  })

  router.get('/revocations', ctx.authenticateVerifier, async (req: Request, res: Response) => {
    const query = parseRequest(feedQuery, req.query, 'query')
    // `?since=` (empty) is a first sync, like no cursor at all.
    const since = query.since === undefined || query.since === '' ? undefined : query.since
    const waitMs = Math.min(Number(query.wait ?? 0), FEED_MAX_WAIT_S) * 1000
    const closed = new AbortController()
    // 'close' also follows every answer sent: only a connection gone before the answer aborts the wait
    res.on('close', () => {
      if (!res.writableFinished) closed.abort()
    })
    const page = await ctx.feed.poll(since, waitMs, closed.signal, query.kids)
    if (closed.signal.aborted) return
    const body = feedBody(page, ctx.feed.activeKids())
    // sent as is: no ETag (res.json would hash every answer; a no-store answer is never revalidated)
    res.status(200)
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('Content-Type', 'application/json; charset=utf-8')
    res.setHeader('Content-Length', body.length)
    res.end(body)
  })

  return router
}

/** Documents the routes of this file. */
export function registerRevocationsApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/revocations',
    summary: 'Revoke a token and everything derived from it (public: possession is the proof)',
    request: { body: jsonBody(revokeBody) },
    responses: { '200': jsonResponse('what was revoked', revokeResponse), ...problems(400, 401, 413, 429) },
  })
  registry.registerPath({
    method: 'get',
    path: '/v1/revocations',
    summary: 'The revocation feed; long-polls with wait= until something is revoked',
    security: bearer,
    request: { query: feedQuery },
    responses: {
      '200': jsonResponse('entries after the cursor', revocationFeedSchema),
      ...problems(400, 401, 403),
    },
  })
}
