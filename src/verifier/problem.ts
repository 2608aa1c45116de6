import type { Response } from 'express'
import { CrumbError, type ErrorCode } from '../errors.js'

/** An RFC 9457 problem, as the token service answers it. */
export interface ProblemDetails {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly code: ErrorCode
  readonly detail: string
  /** Index and text of the caveat that failed, for 401/403 answers about one caveat. */
  readonly caveat?: { readonly index: number; readonly text: string }
}

const TITLES: Partial<Record<ErrorCode, string>> = {
  invalid_token: 'Invalid token',
  token_expired: 'Token expired',
  token_revoked: 'Token revoked',
  caveat_failed: 'Caveat failed',
  insufficient_scope: 'Insufficient scope',
  validation_failed: 'Validation failed',
  revocation_list_stale: 'Revocation list stale',
}

/** Problem type URIs: one per code, relative to this base. */
export const PROBLEM_TYPE_BASE = 'https://crumb.dev/problems/'

/**
 * The problem+json body for a CrumbError. Its `detail` is the error message, which by crumb's
 * rule never contains a token; caveat text is scope, not secret, so a 403 names the caveat.
 *
 * @example
 * problemOf(new CrumbError('token_revoked', 'token has been revoked'))
 * // { type: 'https://crumb.dev/problems/token_revoked', title: 'Token revoked', status: 401, code: 'token_revoked', detail: '…' }
 */
export function problemOf(error: CrumbError): ProblemDetails {
  const caveat =
    error.caveatIndex !== undefined && error.caveat !== undefined && !Number.isNaN(error.caveatIndex)
      ? { caveat: { index: error.caveatIndex, text: error.caveat } }
      : {}
  return {
    type: PROBLEM_TYPE_BASE + error.code,
    title: TITLES[error.code] ?? error.code.replaceAll('_', ' '),
    status: error.status,
    code: error.code,
    detail: error.message,
    ...caveat,
  }
}

/**
 * Answers a request with the problem for an error: `application/problem+json`, and on a 401 the
 * `WWW-Authenticate: Bearer error="invalid_token"` challenge (the precise reason is in `code`).
 * Anything that is not a CrumbError is answered as `invalid_token`, without its message.
 *
 * @example
 * try { … } catch (error) { sendProblem(res, error) }
 */
export function sendProblem(res: Response, error: unknown): void {
  const crumbError =
    error instanceof CrumbError ? error : new CrumbError('invalid_token', 'token could not be verified', { cause: error })
  const problem = problemOf(crumbError)
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"')
  if (problem.status === 403) res.setHeader('WWW-Authenticate', 'Bearer error="insufficient_scope"')
  if (problem.status === 503) res.setHeader('Retry-After', '5')
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem))
}
