import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { audienceSchema } from '../../../caveats/index.js'
import { type TokenClaims, usageTicket } from '../../token/index.js'
import { authenticateToken } from '../auth.js'
import type { ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { bearer, claimsScopeJson, claimsScopeSchema, jsonBody, jsonResponse, problems } from '../schemas.js'

const fact = z.string().min(1).max(256)

/** `POST /v1/verify` body. */
export const verifyBody = z
  .object({
    token: z
      .union([z.string().min(1).max(16_384), z.array(z.string().min(1)).min(1).max(16)])
      .meta({ description: 'the token, with discharges comma-joined or as an array' }),
    request: z
      .object({
        org: fact.optional(),
        app: fact.optional(),
        op: fact.optional(),
        device: fact.optional(),
        ip: fact.optional(),
        aud: audienceSchema
          .optional()
          .meta({ description: "the calling service's audience: `aud` caveats must name it" }),
      })
      .default({})
      .meta({ description: 'what the request declares; a caveat on an undeclared dimension fails' }),
    deferred: z
      .array(z.enum(['org', 'app', 'op']))
      .optional()
      .meta({ description: 'dimensions the caller checks itself later from the returned scope' }),
  })
  .meta({ id: 'VerifyRequest' })

/** Verified claims, snake_case. */
export const claimsSchema = z
  .object({
    user_id: z.string(),
    token_id: z.string(),
    kid: z.string(),
    device: z.string().nullable(),
    ...claimsScopeSchema.shape,
    revocation_id: z.string(),
    usage_ticket: z
      .string()
      .optional()
      .meta({ description: 'send with usage reports for this token id (POST /v1/usage)' }),
  })
  .meta({ id: 'Claims' })

/** `POST /v1/verify` response. */
export const verifyResponse = z
  .object({ valid: z.literal(true), claims: claimsSchema })
  .meta({ id: 'VerifyResponse' })

/**
 * Claims as JSON.
 *
 * @example
 * res.json({ valid: true, claims: claimsJson(claims) })
 */
function claimsJson(c: TokenClaims): z.infer<typeof claimsSchema> {
  return {
    user_id: c.userId,
    token_id: c.tokenId,
    kid: c.kid,
    device: c.device ?? null,
    ...claimsScopeJson(c),
    revocation_id: c.revocationId,
  }
}

/**
 * `POST /v1/verify`: remote verification for services without the key ring. The caller presents
 * its own token; the answer is the claims or the exact problem a local verifier would raise.
 *
 * @example
 * app.use('/v1', verifyRoutes(ctx))
 */
export function verifyRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.post('/verify', ctx.authenticateVerifier, async (req: Request, res: Response) => {
    const body = parseRequest(verifyBody, req.body, 'body')
    const { aud, ...facts } = body.request
    const request = Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as {
      [K in keyof typeof facts]-?: string
    }
    const auth = await authenticateToken(ctx, body.token, request, {
      ...(body.deferred === undefined ? {} : { deferred: new Set(body.deferred) }),
      ...(aud === undefined ? {} : { audience: aud }),
    })
    const ticket = usageTicket(ctx.ring, auth.claims.kid, auth.claims.tokenId, ctx.clock.now())
    res.json({
      valid: true,
      claims: { ...claimsJson(auth.claims), ...(ticket === undefined ? {} : { usage_ticket: ticket }) },
    })
  })
  return router
}

/** Documents the routes of this file. */
export function registerVerifyApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/verify',
    summary: 'Verify a token against a request context (remote mode of the verifier)',
    security: bearer,
    request: { body: jsonBody(verifyBody) },
    responses: { '200': jsonResponse('the token is valid', verifyResponse), ...problems(400, 401, 403, 413) },
  })
}
