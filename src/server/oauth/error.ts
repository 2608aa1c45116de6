import type { Response } from 'express'
import { OAuthError, type OAuthErrorCode } from '../../service/oauth/errors.js'

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
 * Answers an `/oauth/*` request with RFC 6749 JSON: `{error, error_description}`, the status that
 * code takes, `Cache-Control: no-store`. `invalid_client` is a 401 with `WWW-Authenticate: Basic`
 * (RFC 6749 §5.2: required when the client used HTTP Basic, allowed otherwise).
 *
 * @example
 * try { … } catch (error) { sendOAuthError(res, error) }
 */
export function sendOAuthError(res: Response, error: unknown): void {
  const body = oauthErrorBody(error)
  const status = STATUS[body.error]
  if (body.error === 'invalid_client') res.setHeader('WWW-Authenticate', 'Basic realm="crumb"')
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('Pragma', 'no-cache')
  res.status(status).type('application/json').send(JSON.stringify(body))
}

/**
 * The URL an authorization error is redirected to (RFC 6749 §4.1.2.1, RFC 9207): the client's
 * redirect URI — which the caller must have matched against the registration first — with
 * `error`, `error_description`, `state` and `iss` added to its query.
 *
 * @example
 * errorRedirectUrl('https://app.example/cb', new OAuthError('access_denied', 'the user denied access'), { state: 'xyz', iss: 'https://crumb.example' })
 * // 'https://app.example/cb?error=access_denied&error_description=the+user+denied+access&state=xyz&iss=https%3A%2F%2Fcrumb.example'
 */
export function errorRedirectUrl(
  redirectUri: string,
  error: unknown,
  params: { state?: string | undefined; iss: string },
): string {
  const body = oauthErrorBody(error)
  const url = new URL(redirectUri)
  url.searchParams.set('error', body.error)
  url.searchParams.set('error_description', body.error_description)
  if (params.state !== undefined) url.searchParams.set('state', params.state)
  url.searchParams.set('iss', params.iss)
  return url.href
}
