/**
 * The OAuth error codes crumb's authorization server answers with: RFC 6749 §4.1.2.1 and §5.2,
 * RFC 7009 §2.2.1, RFC 7591 §3.2.2 and RFC 8707 §2.
 */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'unsupported_response_type',
  'server_error',
  'temporarily_unavailable',
  'unsupported_token_type',
  'invalid_redirect_uri',
  'invalid_client_metadata',
  // RFC 8707 §2: the resource is not one this server issues tokens for
  'invalid_target',
] as const

/** One of {@link OAUTH_ERROR_CODES}. */
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number]

/**
 * A refusal in OAuth's own terms, thrown by the OAuth service and written by the `/oauth/*` routes
 * as RFC 6749 JSON (`{error, error_description}`) or as a redirect where the redirect URI is known
 * good. The description is shown to developers: it never holds a code, token, verifier or secret.
 *
 * @example
 * throw new OAuthError('invalid_grant', 'the authorization code has expired')
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError'
  readonly code: OAuthErrorCode

  constructor(code: OAuthErrorCode, description: string, options?: { cause?: unknown }) {
    super(description, options)
    this.code = code
  }
}

/**
 * Whether a value is an {@link OAuthError}.
 *
 * @example
 * if (isOAuthError(error)) sendOAuthError(res, error)
 */
export function isOAuthError(error: unknown): error is OAuthError {
  return error instanceof OAuthError
}

/**
 * The URL an authorization error is redirected to (RFC 6749 §4.1.2.1, RFC 9207): the client's
 * redirect URI — which the caller must have matched against the registration first — with
 * `error`, `error_description`, `state` and `iss` added to its query. Anything that is not an
 * OAuthError is `server_error`, with a fixed description.
 *
 * @example
 * authorizationErrorUrl('https://app.example/cb', new OAuthError('access_denied', 'denied'), { state: 'xyz', iss: 'https://crumb.example' })
 */
export function authorizationErrorUrl(
  redirectUri: string,
  error: unknown,
  params: { state?: string | undefined; iss: string },
): string {
  const url = new URL(redirectUri)
  url.searchParams.set('error', error instanceof OAuthError ? error.code : 'server_error')
  url.searchParams.set(
    'error_description',
    error instanceof OAuthError ? error.message : 'the authorization server could not handle the request',
  )
  if (params.state !== undefined) url.searchParams.set('state', params.state)
  url.searchParams.set('iss', params.iss)
  return url.href
}
