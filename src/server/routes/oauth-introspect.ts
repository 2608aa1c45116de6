import { type Request, type Response, Router } from 'express'
import { authenticateForOps, introspectToken, limitTokenRequests, OAuthError } from '../../service/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import { presentedToken } from '../../wire/token.js'
import type { ServiceContext } from '../context.js'
import { formBody, issuerFor, oauthHandler, requiredParam, requireForm } from '../oauth/request.js'

/**
 * `POST /oauth/introspect` (RFC 7662, form-encoded): a resource server asks whether a token is
 * active and what it grants. The caller presents a crumb token of its own (`Authorization:
 * Bearer`; a verifier's `ops = verify` service token will do); without a valid one the answer is
 * 401 `invalid_client`.
 *
 * @example
 * app.use(oauthIntrospectRoutes(ctx))
 */
export function oauthIntrospectRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.post(
    '/oauth/introspect',
    formBody,
    oauthHandler(async (req: Request, res: Response) => {
      const meta = requestMeta(req)
      limitTokenRequests(ctx, meta)
      const presented = presentedToken(req.headers)
      if (presented.kind !== 'token')
        throw new OAuthError('invalid_client', 'present a crumb token: Authorization: Bearer crumb_…')
      try {
        const tokens = presented.token.split(',')
        await authenticateForOps(ctx, tokens, meta.ip === null ? {} : { ip: meta.ip }, 'read', ['verify'])
      } catch (error) {
        throw new OAuthError('invalid_client', 'the presented crumb token is not valid here', {
          cause: error,
        })
      }
      requireForm(req)
      const token = requiredParam(req.body, 'token')
      res.json(await introspectToken(ctx, token, issuerFor(ctx.config.publicUrl, req)))
    }),
  )
  return router
}
