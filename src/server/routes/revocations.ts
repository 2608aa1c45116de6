import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { CrumbError } from '../../errors.js'
import type { RevocationEntry } from '../../store/index.js'
import {
  decodeIdentifier,
  decodeTokenList,
  inspectToken,
  revocationIdOf,
  rootKeyFor,
} from '../../token/index.js'
import { type RevocationEntryJson, revocationFeedSchema } from '../../wire/revocation-feed.js'
import type { ServiceContext } from '../context.js'
import { requestMeta } from '../context.js'
import { FEED_MAX_WAIT_S } from '../feed.js'
import { type Actor, audit } from '../lifecycle.js'
import { parseRequest, RateLimited } from '../problem.js'
import type { SlidingWindowLimiter } from '../rate-limit.js'
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
})

/** Counts a hit against `key`, or refuses (429 with Retry-After) when its window is full. */
function limit(limiter: SlidingWindowLimiter, key: string, message: string): void {
  const wait = limiter.retryAfterMs(key)
  if (wait > 0) throw new RateLimited(message, wait / 1000)
  limiter.hit(key)
}

function entryJson(e: RevocationEntry): RevocationEntryJson {
  return {
    token_id: e.tokenId,
    ...(e.revocationId === undefined ? {} : { revocation_id: e.revocationId }),
    expires_at: e.expiresAt,
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

  router.post('/revocations', async (req: Request, res: Response) => {
    const meta = requestMeta(req)
    // public and it writes what every verifier downloads: limited per address and per token id
    limit(ctx.limits.revokeIp, `ip:${meta.ip ?? '?'}`, 'too many revocations from this address')
    const body = parseRequest(revokeBody, req.body, 'body')
    const [primary, ...discharges] = decodeTokenList(body.token)
    const id = decodeIdentifier(primary.identifierText)
    // the signature must verify (caveats — expiry included — do not matter: possession is proof)
    primary.verify(rootKeyFor(ctx.ring, id.kid, primary.identifier), () => true, discharges)
    limit(ctx.limits.revokeToken, id.tokenId, 'too many revocations for this key')
    const now = ctx.clock.now()
    const who: Actor = { actor: 'token-holder', meta }
    const revoked = await ctx.writes.run(() => {
      const key = ctx.store.keys.get(id.tokenId, now)
      if (key !== undefined && key.userId !== id.userId) throw new CrumbError('invalid_token', 'unknown key')
      const isRoot = key === undefined || primary.caveats.length === key.caveats.length + 1
      if (isRoot) {
        const expiresAt =
          key?.expiresAt ??
          inspectToken(body.token, { now }).scope.expiresAt ??
          new Date(now.getTime() + ctx.config.tokenMaxTtlMs)
        const added = ctx.store.revocations.add({ tokenId: id.tokenId, expiresAt, createdAt: now })
        const logout = body.reason === 'logout' && key !== undefined
        const reason = logout ? 'logout' : 'revoked by token holder'
        if (key !== undefined && ctx.store.keys.revoke(key.id, now, reason)) {
          // a logout presents the root token, which only its user holds: audit it as them
          const user = logout ? ctx.store.users.get(key.userId) : undefined
          audit(
            ctx,
            user === undefined ? who : { ...who, actor: user.email },
            'revoked',
            key.userId,
            key.id,
            {
              reason,
            },
          )
        }
        return { added: added.inserted, json: { token_id: id.tokenId } }
      }
      const revocationId = revocationIdOf(primary.signature)
      const pairs = ctx.store.revocations.forToken(id.tokenId).filter((e) => e.revocationId !== undefined)
      if (
        pairs.length >= ctx.config.revocationPairLimit &&
        !pairs.some((e) => e.revocationId === revocationId)
      ) {
        // the list every verifier holds stays bounded: one entry for the whole key instead
        const added = ctx.store.revocations.add({
          tokenId: id.tokenId,
          expiresAt: key.expiresAt,
          createdAt: now,
        })
        const reason = `too many attenuated tokens revoked (${pairs.length + 1}): the whole key is revoked`
        if (ctx.store.keys.revoke(key.id, now, reason)) {
          audit(ctx, who, 'revoked', key.userId, key.id, { reason, attenuated_revocations: pairs.length + 1 })
        }
        return { added: added.inserted, json: { token_id: id.tokenId } }
      }
      const added = ctx.store.revocations.add({
        tokenId: id.tokenId,
        revocationId,
        expiresAt: key.expiresAt,
        createdAt: now,
      })
      if (added.inserted) {
        // the key itself stays active: say so, so the audit does not read as the key revoked
        audit(ctx, who, 'revoked', key.userId, key.id, {
          attenuated: true,
          key_still_active: key.status === 'active',
          revocation_id: revocationId,
        })
      }
      return { added: added.inserted, json: { token_id: id.tokenId, revocation_id: revocationId } }
    })
    if (revoked.added) ctx.feed.sync()
    res.json({ revoked: revoked.json })
  })

  router.get('/revocations', ctx.authenticateVerifier, async (req: Request, res: Response) => {
    const query = parseRequest(feedQuery, req.query, 'query')
    // `?since=` (empty) is a first sync, like no cursor at all.
    const since = query.since === undefined || query.since === '' ? undefined : Number(query.since)
    const waitMs = Math.min(Number(query.wait ?? 0), FEED_MAX_WAIT_S) * 1000
    let page = ctx.feed.read(since)
    if (since !== undefined && page.entries.length === 0 && page.reset === undefined && waitMs > 0) {
      const closed = new AbortController()
      res.on('close', () => closed.abort())
      await ctx.feed.waitFor(Number(page.cursor), waitMs, closed.signal)
      if (closed.signal.aborted) return
      page = ctx.feed.read(Number(page.cursor))
    }
    res.set('Cache-Control', 'no-store')
    res.json({
      cursor: page.cursor,
      entries: page.entries.map(entryJson),
      ...(page.reset === undefined ? {} : { reset: true }),
    })
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
