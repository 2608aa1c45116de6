import type { ServerResponse } from 'node:http'
import { CrumbError, ERROR_TITLES, type ErrorCode, PROBLEM_TYPE_PREFIX } from '../errors.js'

/**
 * problem+json (RFC 9457) as crumb writes and reads it: the token service and the verifier
 * middleware write it; the CLI, the verifier's remote mode and the dashboard read it. No Express here (the
 * writer takes a plain `node:http` response), so the CLI and verifiers stay light.
 */

/** The media type of every error answer. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** The `WWW-Authenticate` value of every 401 (DESIGN.md); the precise reason is in `code`. */
export const WWW_AUTHENTICATE = 'Bearer error="invalid_token"'

/** One validation issue of a `validation_failed` problem. */
export interface ProblemIssue {
  /** Which part of the request: body, query, params or header. */
  readonly in: 'body' | 'query' | 'params' | 'header'
  /** Dotted path inside that part (`caveats.1`); '' for the part itself. */
  readonly path: string
  readonly message: string
}

/**
 * The problem+json body every crumb error answer carries: `{type, title, status, code, detail, errors?}`.
 *
 * @example
 * const body: ProblemBody = problemBody(new CrumbError('not_found', 'no such key'))
 */
export interface ProblemBody {
  type: string
  title: string
  status: number
  code: ErrorCode
  /** Why; a 401 / 403 about one caveat names its index and text (`caveat 2 (app = web) failed: …`). */
  detail: string
  errors?: ProblemIssue[]
}

/**
 * A `validation_failed` error listing the issues (zod or hand-made).
 *
 * @example
 * throw new ValidationProblem('caveat 1 is not valid', [{ in: 'body', path: 'caveats.1', message: 'unknown caveat' }])
 */
export class ValidationProblem extends CrumbError {
  readonly issues: readonly ProblemIssue[]
  constructor(detail: string, issues: readonly ProblemIssue[]) {
    super('validation_failed', detail)
    this.issues = issues
  }
}

/**
 * A `rate_limited` error with the seconds after which to retry (sent as `Retry-After`).
 *
 * @example
 * throw new RateLimited('too many login attempts', 120)
 */
export class RateLimited extends CrumbError {
  readonly retryAfterS: number
  constructor(detail: string, retryAfterS: number) {
    super('rate_limited', detail)
    this.retryAfterS = Math.max(1, Math.ceil(retryAfterS))
  }
}

/**
 * The problem+json body of a CrumbError. Its `detail` is the error message, which by crumb's rule
 * never contains a token. `status` overrides the code's own where HTTP has a more precise one for
 * the same failure (431 for a `validation_failed` of oversized headers).
 *
 * @example
 * problemBody(new CrumbError('not_found', 'no such key')) // { type: 'urn:crumb:problem:not_found', status: 404, … }
 */
export function problemBody(error: CrumbError, status: number = error.status): ProblemBody {
  const body: ProblemBody = {
    type: PROBLEM_TYPE_PREFIX + error.code,
    title: ERROR_TITLES[error.code],
    status,
    code: error.code,
    detail: error.message,
  }
  if (error instanceof ValidationProblem) body.errors = [...error.issues]
  return body
}

/** Options of {@link writeProblem}. */
export interface WriteProblemOptions {
  /** Seconds sent as `Retry-After` (a {@link RateLimited} error carries its own). */
  readonly retryAfterS?: number
  /** The `WWW-Authenticate` value of a 401, when not the plain {@link WWW_AUTHENTICATE}. */
  readonly challenge?: string
}

/**
 * Answers with the problem of a CrumbError: status, `application/problem+json`, on a 401 the
 * `WWW-Authenticate: Bearer error="invalid_token"` challenge, and `Retry-After` where one applies.
 * Takes any `node:http` response (an Express response is one).
 *
 * @example
 * writeProblem(res, new CrumbError('not_found', 'no such key'))
 * writeProblem(res, new CrumbError('revocation_list_stale', 'feed unreachable'), { retryAfterS: 5 })
 */
export function writeProblem(
  res: ServerResponse,
  error: CrumbError,
  options: WriteProblemOptions = {},
): void {
  const payload = JSON.stringify(problemBody(error))
  const retryAfterS = error instanceof RateLimited ? error.retryAfterS : options.retryAfterS
  res.statusCode = error.status
  if (error.status === 401) res.setHeader('WWW-Authenticate', options.challenge ?? WWW_AUTHENTICATE)
  if (retryAfterS !== undefined) res.setHeader('Retry-After', String(retryAfterS))
  res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`)
  res.setHeader('Content-Length', Buffer.byteLength(payload))
  res.end(payload)
}

// Reading a problem is plain JavaScript, so the dashboard's pages load the same file.
export { type ParsedIssue, type ParsedProblem, readProblem } from './read-problem.js'
