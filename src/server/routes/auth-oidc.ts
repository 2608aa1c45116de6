import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { exchangeIdToken, MAX_ID_TOKEN_LENGTH } from '../../service/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import type { ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { jsonBody, jsonResponse, problems } from '../schemas.js'

/** `POST /v1/auth/oidc` body. */
export const oidcExchangeBody = z
  .object({
    id_token: z
      .string()
      .min(1)
      .max(MAX_ID_TOKEN_LENGTH)
      .meta({ description: 'the CI job’s OIDC ID token (a JWT)' }),
    policy_id: z
      .string()
      .max(80)
      .optional()
      .meta({ description: 'the trust policy to use (default: the first that matches)' }),
  })
  .meta({ id: 'OidcExchangeRequest' })

/** `POST /v1/auth/oidc` answer. */
export const oidcExchangeResponse = z
  .object({
    token: z.string().meta({ description: 'a crumb token: the policy’s caveats + expires = now + ttl' }),
    expires_at: z.string(),
    policy_id: z.string(),
  })
  .meta({ id: 'OidcExchangeResponse' })

/**
 * Workload identity (public): a CI job's OIDC ID token for a short-lived crumb token.
 *
 * @example
 * app.use('/v1', oidcRoutes(ctx))
 */
export function oidcRoutes(ctx: ServiceContext): Router {
  const router = Router()
  const settings = { allowLoopbackIssuers: ctx.config.oidcAllowLoopbackIssuers === true }
  router.post('/auth/oidc', async (req: Request, res: Response) => {
    const body = parseRequest(oidcExchangeBody, req.body, 'body')
    const exchanged = await exchangeIdToken(
      ctx,
      settings,
      { idToken: body.id_token, policyId: body.policy_id },
      requestMeta(req),
    )
    res.status(201).json({
      token: exchanged.token,
      expires_at: exchanged.expiresAt.toISOString(),
      policy_id: exchanged.policyId,
    })
  })
  return router
}

/** Documents the routes of this file. */
export function registerOidcApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/auth/oidc',
    summary: 'Exchange a CI job’s OIDC ID token for a short-lived crumb token under a trust policy',
    request: { body: jsonBody(oidcExchangeBody) },
    responses: {
      '201': jsonResponse('the crumb token', oidcExchangeResponse),
      ...problems(400, 401, 403, 413),
    },
  })
}
