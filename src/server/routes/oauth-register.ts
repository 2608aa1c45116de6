import { type Request, type Response, Router } from 'express'
import { registerClient } from '../../service/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import type { ServiceContext } from '../context.js'
import { cors, oauthHandler } from '../oauth/request.js'

/**
 * `POST /oauth/register` (RFC 7591 dynamic client registration, public, rate-limited per
 * address): JSON client metadata in, 201 with the `client_id` (and, for a confidential client,
 * the `client_secret`, shown once) out. Errors are `invalid_redirect_uri` / `invalid_client_metadata`.
 *
 * @example
 * app.use(oauthRegisterRoutes(ctx))
 */
export function oauthRegisterRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.use('/oauth/register', cors)
  router.post(
    '/oauth/register',
    oauthHandler(async (req: Request, res: Response) => {
      const { client, secret } = await registerClient(ctx, req.body ?? {}, requestMeta(req))
      res.status(201).json({
        client_id: client.id,
        client_id_issued_at: Math.floor(new Date(client.createdAt).getTime() / 1000),
        client_name: client.name,
        redirect_uris: client.redirectUris,
        token_endpoint_auth_method: client.authMethod,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        ...(client.scope === null ? {} : { scope: client.scope }),
        ...(client.clientUri === null ? {} : { client_uri: client.clientUri }),
        ...(client.logoUri === null ? {} : { logo_uri: client.logoUri }),
        ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
      })
    }),
  )
  return router
}
