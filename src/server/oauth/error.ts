import type { Response } from 'express'
import { CrumbError, RateLimited, ServiceUnavailable } from '../../errors.js'
import { authorizationErrorUrl, OAuthError, type OAuthErrorCode } from '../../service/oauth/errors.js'

/** HTTP status of each OAuth error at the token, registration, revocation and introspection endpoints. */
const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  // RFC 6749 §5.2 allows 401 always, naming the scheme clients may use (see sendOAuthError).
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  unsupported_response_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  unsupported_token_type: 400,
  invalid_redirect_uri: 400,
  invalid_client_metadata: 400,
  invalid_target: 400,
}

/** The RFC 6749 §5.2 error body. */
export interface OAuthErrorBody {
  readonly error: OAuthErrorCode
  readonly error_description: string
}

/**
 * The JSON body of an OAuth error. Anything that is not an OAuthError becomes `server_error` with a
 * fixed description (its message may hold what must not leak).
 *
 * @example
 * oauthErrorBody(new OAuthError('invalid_grant', 'code expired')) // { error: 'invalid_grant', error_description: 'code expired' }
 */
export function oauthErrorBody(error: unknown): OAuthErrorBody {
  if (error instanceof OAuthError) return { error: error.code, error_description: error.message }
  return { error: 'server_error', error_description: 'the authorization server could not handle the request' }
}

/**
 * A failure at an OAuth endpoint in OAuth's terms: an OAuthError as it is; too many requests or an
 * unreachable database `temporarily_unavailable` (429 / 503 with Retry-After, see sendOAuthError);
 * an unreadable body (bad JSON, wrong size, bad encoding) `invalid_request`; anything else
 * `server_error`.
 *
 * @example
 * asOAuthError(new RateLimited('slow down', 10)).code // 'temporarily_unavailable'
 */
export function asOAuthError(error: unknown): unknown {
  if (error instanceof OAuthError) return error
  if (error instanceof RateLimited) return new OAuthError('temporarily_unavailable', error.message)
  if (error instanceof ServiceUnavailable)
    return new OAuthError('temporarily_unavailable', 'the authorization server cannot reach its database')
  if (
    error instanceof CrumbError &&
    (error.code === 'payload_too_large' || error.code === 'validation_failed')
  )
    return new OAuthError('invalid_request', error.message)
  const status = (error as { status?: unknown; type?: unknown } | null)?.status
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new OAuthError('invalid_request', 'the request body could not be read')
  return error
}

/**
 * Answers an `/oauth/*` request with RFC 6749 JSON: `{error, error_description}`, the status that
 * code takes, `Cache-Control: no-store`. `invalid_client` is a 401 with `WWW-Authenticate: Basic`
 * (RFC 6749 §5.2: required when the client used HTTP Basic, allowed otherwise).
 *
 * @example
 * try { … } catch (error) { sendOAuthError(res, error) }
 */
export function sendOAuthError(res: Response, error: unknown): void {
  const oauth = asOAuthError(error)
  const body = oauthErrorBody(oauth)
  let status = STATUS[body.error]
  if (error instanceof RateLimited || error instanceof ServiceUnavailable) {
    status = error instanceof RateLimited ? 429 : 503
    res.setHeader('Retry-After', String(error.retryAfterS))
  }
  if (body.error === 'invalid_client') res.setHeader('WWW-Authenticate', 'Basic realm="crumb"')
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('Pragma', 'no-cache')
  res.status(status).type('application/json').send(JSON.stringify(body))
}

/**
 * The URL an authorization error is redirected to: the service's {@link authorizationErrorUrl}
 * (the dashboard's `/oauth/authorize` uses it directly).
 *
 * @example
 * errorRedirectUrl('https://app.example/cb', new OAuthError('access_denied', 'the user denied access'), { state: 'xyz', iss: 'https://crumb.example' })
 */
export const errorRedirectUrl = authorizationErrorUrl
