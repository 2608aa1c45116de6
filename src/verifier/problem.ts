import type { Response } from 'express'
import { CrumbError, ERROR_TITLES, type ErrorCode, PROBLEM_TYPE_PREFIX } from '../errors.js'

/**
 * An RFC 9457 problem, as the token service answers it.
 *
 * @example
 * const problem: ProblemDetails = await res.json() // { type, title, status, code, detail }
 */
export interface ProblemDetails {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly code: ErrorCode
  /** Why; a 401 / 403 about one caveat names its index and text (`caveat 2 (app = web) failed: …`). */
  readonly detail: string
}

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
  return {
    type: PROBLEM_TYPE_PREFIX + error.code,
    title: ERROR_TITLES[error.code],
    status: error.status,
    code: error.code,
    detail: error.message,
  }
}

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
export function sendProblem(res: Response, error: unknown, resourceMetadata?: string): void {
  const crumbError =
    error instanceof CrumbError
      ? error
      : new CrumbError('invalid_token', 'token could not be verified', { cause: error })
  const problem = problemOf(crumbError)
  if (problem.status === 401) res.setHeader('WWW-Authenticate', bearerChallenge(resourceMetadata))
  if (problem.status === 503) res.setHeader('Retry-After', '5')
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem))
}
