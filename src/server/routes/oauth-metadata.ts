import { type Request, type Response, Router } from 'express'
import { authorizationServerMetadata } from '../../service/index.js'
import type { ServiceContext } from '../context.js'
import { cors, issuerFor } from '../oauth/request.js'

/** RFC 8414's well-known path; for an issuer without a path it is the whole URL path. */
export const AUTHORIZATION_SERVER_WELL_KNOWN = '/.well-known/oauth-authorization-server'

/** The OAuth endpoints the server (not the dashboard) answers: errors there are RFC 6749 JSON. */
export const OAUTH_ENDPOINTS = [
  '/oauth/register',
  '/oauth/token',
  '/oauth/revoke',
  '/oauth/introspect',
] as const

/**
 * `GET /.well-known/oauth-authorization-server` (RFC 8414): where clients (MCP clients first)
 * find every OAuth endpoint, what they support, and the issuer that `iss` in answers names.
 *
 * @example
 * app.use(oauthMetadataRoutes(ctx))
 */
export function oauthMetadataRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.use(AUTHORIZATION_SERVER_WELL_KNOWN, cors)
  router.get(AUTHORIZATION_SERVER_WELL_KNOWN, (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'public, max-age=300')
    res.json(authorizationServerMetadata(issuerFor(ctx.config.publicUrl, req)))
  })
  return router
}
