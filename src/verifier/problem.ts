import type { ServerResponse } from 'node:http'
import { CrumbError, PROBLEM_TYPE_PREFIX } from '../errors.js'
import { type ProblemBody, problemBody, writeProblem } from '../wire/problem.js'

/**
 * An RFC 9457 problem, as the token service and this middleware answer it (the wire type).
 *
 * @example
 * const problem: ProblemDetails = await res.json() // { type, title, status, code, detail }
 */
export type ProblemDetails = Readonly<ProblemBody>

export { PROBLEM_TYPE_PREFIX }

/**
 * The problem+json body for a CrumbError. Its `detail` is the error message, which by crumb's
 * rule never contains a token; caveat text is scope, not secret, so a 403 names the caveat.
 *
 * @example
 * problemOf(new CrumbError('token_revoked', 'token has been revoked'))
 * // { type: 'urn:crumb:problem:token_revoked', title: 'Token revoked', status: 401, code: 'token_revoked', detail: '…' }
 */
export function problemOf(error: CrumbError): ProblemDetails {
  return problemBody(error)
}

/** Seconds a client waits before retrying a verifier's 503 (revocation list stale). */
const RETRY_AFTER_503_S = 5

/**
 * The `WWW-Authenticate` value of a 401: `Bearer error="invalid_token"`, plus
 * `resource_metadata="<url>"` (RFC 9728 §5.1) when the service publishes protected-resource metadata.
 *
 * @example
 * bearerChallenge('https://deploy.example/.well-known/oauth-protected-resource')
 * // 'Bearer error="invalid_token", resource_metadata="https://deploy.example/.well-known/oauth-protected-resource"'
 */
export function bearerChallenge(resourceMetadata?: string): string {
  if (resourceMetadata === undefined) return 'Bearer error="invalid_token"'
  return `Bearer error="invalid_token", resource_metadata="${resourceMetadata.replace(/["\\]/g, '\\$&')}"`
}

/**
 * Answers a request with the problem for an error: `application/problem+json`, and on a 401 the
 * `WWW-Authenticate: Bearer error="invalid_token"` challenge (the precise reason is in `code`),
 * pointing at `resourceMetadata` when given. Anything that is not a CrumbError is answered as
 * `invalid_token`, without its message.
 *
 * @example
 * try { … } catch (error) { sendProblem(res, error) }
 */
export function sendProblem(res: ServerResponse, error: unknown, resourceMetadata?: string): void {
  const crumbError =
    error instanceof CrumbError
      ? error
      : new CrumbError('invalid_token', 'token could not be verified', { cause: error })
  writeProblem(res, crumbError, {
    challenge: bearerChallenge(resourceMetadata),
    ...(crumbError.status === 503 ? { retryAfterS: RETRY_AFTER_503_S } : {}),
  })
}
