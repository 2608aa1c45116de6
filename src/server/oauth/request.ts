import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express'
import type { Logger } from 'pino'
import { type ClientCredentials, issuerOf, OAuthError } from '../../service/index.js'
import { sendOAuthError } from './error.js'

/**
 * What the OAuth endpoints share: form bodies, single-valued parameters, client credentials from
 * HTTP Basic or the body, the issuer, and handlers that answer every failure in RFC 6749's terms.
 */

/** Largest form body an OAuth endpoint reads (bytes). */
export const MAX_FORM_BYTES = 16 * 1024

/** `application/x-www-form-urlencoded` bodies (repeated parameters become arrays: see {@link formParam}). */
export const formBody: RequestHandler = express.urlencoded({ extended: false, limit: MAX_FORM_BYTES })

/**
 * One parameter of a form body: absent, or given once as a string; repeated or not a string is
 * `invalid_request` (RFC 6749 §3.1).
 *
 * @example
 * const code = formParam(req.body, 'code')
 */
export function formParam(body: unknown, name: string): string | undefined {
  if (body === null || typeof body !== 'object') return undefined
  const value = (body as Record<string, unknown>)[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be given once`)
  return value
}

/**
 * A required form parameter (non-empty), else `invalid_request` naming it.
 *
 * @example
 * const grantType = requiredParam(req.body, 'grant_type')
 */
export function requiredParam(body: unknown, name: string): string {
  const value = formParam(body, name)
  if (value === undefined || value === '') throw new OAuthError('invalid_request', `${name} is missing`)
  return value
}

/** Refuses a body that is not a form (RFC 6749 §3.2: the token endpoint takes form parameters). */
export function requireForm(req: Request): void {
  if (!req.is('application/x-www-form-urlencoded'))
    throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded')
}

/**
 * The client credentials of a request: HTTP Basic (`client_secret_basic`, id and secret
 * form-urlencoded first, RFC 6749 §2.3.1), `client_id` and `client_secret` in the body.
 *
 * @example
 * const client = await authenticateClient(ctx, clientCredentials(req))
 */
export function clientCredentials(req: Request): ClientCredentials {
  const header = req.get('authorization')
  let basic: ClientCredentials['basic']
  if (header !== undefined && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) throw new OAuthError('invalid_client', 'client authentication failed')
    try {
      const form = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '))
      basic = { id: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) }
    } catch {
      throw new OAuthError('invalid_client', 'client authentication failed')
    }
  }
  return {
    basic,
    clientId: formParam(req.body, 'client_id'),
    clientSecret: formParam(req.body, 'client_secret'),
  }
}

/**
 * This server's issuer identifier for a request (see `issuerOf`).
 *
 * @example
 * const iss = issuerFor(ctx.config.publicUrl, req)
 */
export function issuerFor(publicUrl: string | undefined, req: Request): string {
  return issuerOf(publicUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`)
}

/**
 * An async OAuth endpoint: whatever it throws is answered as RFC 6749 JSON (never a problem+json,
 * never a redirect). The responses are never cached, and any origin may call (no cookies are used).
 *
 * @example
 * router.post('/oauth/token', formBody, oauthHandler(async (req, res) => { … }))
 */
export function oauthHandler(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('Cache-Control', 'no-store')
    fn(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        next(error)
        return
      }
      sendOAuthError(res, error)
    })
  }
}

/**
 * Lets browser-based clients (MCP clients among them) call the OAuth endpoints: any origin, no
 * credentials, and answers the CORS preflight.
 *
 * @example
 * router.use(['/oauth/token', '/oauth/register'], cors)
 */
export const cors: RequestHandler = (req: Request, res: Response, next: NextFunction): void => {
  res.setHeader('Access-Control-Allow-Origin', '*')
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS')
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, MCP-Protocol-Version')
    res.setHeader('Access-Control-Max-Age', '600')
    res.status(204).end()
    return
  }
  next()
}

/**
 * The error handler of the OAuth paths: a body that could not be parsed (or was too large) before
 * any OAuth route ran is answered as RFC 6749 JSON too; unexpected errors are logged.
 *
 * @example
 * app.use(['/oauth/token', '/oauth/register', '/oauth/revoke', '/oauth/introspect'], oauthErrorHandler(logger))
 */
export function oauthErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error)
      return
    }
    if (!(error instanceof OAuthError) && (error as { status?: unknown })?.status === undefined) {
      logger.error({ err: error, req_id: (req as Request & { id?: unknown }).id }, 'unhandled OAuth error')
    }
    sendOAuthError(res, error)
  }
}

/**
 * Any other method at an OAuth endpoint: 405 with an RFC 6749 body.
 *
 * @example
 * app.all([...OAUTH_ENDPOINTS], methodNotAllowed)
 */
export const methodNotAllowed: RequestHandler = (req: Request, res: Response): void => {
  res.setHeader('Allow', 'POST')
  res.setHeader('Cache-Control', 'no-store')
  res
    .status(405)
    .json({ error: 'invalid_request', error_description: `${req.method} is not allowed here; use POST` })
}
