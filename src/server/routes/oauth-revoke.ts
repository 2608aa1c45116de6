import { type Request, type Response, Router } from 'express'
import { authenticateClient, limitTokenRequests, revokeOAuthToken } from '../../service/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import type { ServiceContext } from '../context.js'
import {
  clientCredentials,
  cors,
  formBody,
  oauthHandler,
  requiredParam,
  requireForm,
} from '../oauth/request.js'

/**
 * `POST /oauth/revoke` (RFC 7009, form-encoded, the client authenticated as it registered): a
 * refresh token or an access token of the client's grant revokes the grant — every access and
 * refresh token of it, at every verifier. 200 with an empty body, whether or not the token was
 * known (§2.2); `token_type_hint` is accepted and not needed.
 *
 * @example
 * app.use(oauthRevokeRoutes(ctx))
 */
export function oauthRevokeRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.use('/oauth/revoke', cors)
  router.post(
    '/oauth/revoke',
    formBody,
    oauthHandler(async (req: Request, res: Response) => {
      const meta = requestMeta(req)
      limitTokenRequests(ctx, meta)
      requireForm(req)
      const token = requiredParam(req.body, 'token')
      const client = await authenticateClient(ctx, clientCredentials(req))
      await revokeOAuthToken(ctx, client, token, meta)
      res.status(200).end()
    }),
  )
  return router
}
