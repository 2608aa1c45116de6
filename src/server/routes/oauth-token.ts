import { type Request, type Response, Router } from 'express'
import {
  authenticateClient,
  exchangeAuthorizationCode,
  limitTokenRequests,
  OAuthError,
  refreshAccessToken,
} from '../../service/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import type { ServiceContext } from '../context.js'
import {
  clientCredentials,
  cors,
  formBody,
  formParam,
  oauthHandler,
  requiredParam,
  requireForm,
} from '../oauth/request.js'

/**
 * `POST /oauth/token` (RFC 6749 §3.2, form-encoded, rate-limited per address):
 * `grant_type=authorization_code` (code, code_verifier, redirect_uri, resource) and
 * `grant_type=refresh_token` (refresh_token, scope, resource), after authenticating the client as
 * it registered. Answers `{access_token, token_type, expires_in, refresh_token, scope}`.
 *
 * @example
 * app.use(oauthTokenRoutes(ctx))
 */
export function oauthTokenRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.use('/oauth/token', cors)
  router.post(
    '/oauth/token',
    formBody,
    oauthHandler(async (req: Request, res: Response) => {
      const meta = requestMeta(req)
      limitTokenRequests(ctx, meta)
      requireForm(req)
      const grantType = requiredParam(req.body, 'grant_type')
      if (grantType !== 'authorization_code' && grantType !== 'refresh_token')
        throw new OAuthError(
          'unsupported_grant_type',
          'grant_type must be authorization_code or refresh_token',
        )
      const client = await authenticateClient(ctx, clientCredentials(req))
      const resource = formParam(req.body, 'resource')
      const tokens =
        grantType === 'authorization_code'
          ? await exchangeAuthorizationCode(
              ctx,
              client,
              {
                code: requiredParam(req.body, 'code'),
                codeVerifier: requiredParam(req.body, 'code_verifier'),
                redirectUri: formParam(req.body, 'redirect_uri'),
                resource,
              },
              meta,
            )
          : await refreshAccessToken(
              ctx,
              client,
              {
                refreshToken: requiredParam(req.body, 'refresh_token'),
                scope: formParam(req.body, 'scope'),
                resource,
              },
              meta,
            )
      res.setHeader('Pragma', 'no-cache')
      res.json(tokens)
    }),
  )
  return router
}
