/**
 * The closed set of error codes crumb answers with (DESIGN.md, "HTTP API").
 * Tests assert the code, never the message text.
 */
export const ERROR_CODES = {
  invalid_token: 401,
  token_expired: 401,
  token_revoked: 401,
  caveat_failed: 403,
  insufficient_scope: 403,
  validation_failed: 400,
  confirmation_required: 428,
  last_key_protected: 409,
  rate_limited: 429,
  not_found: 404,
  revocation_list_stale: 503,
  /** The token service cannot reach its database (sent with `Retry-After`). */
  service_unavailable: 503,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  access_denied: 400,
  payload_too_large: 413,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  /** A workload identity token matches no trust policy (DESIGN.md, "Workload identity"). */
  no_matching_policy: 403,
  /** A bug on the server's side; never the answer to bad input. */
  internal_error: 500,
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** The problem+json `title` of each code (one per code, shared by the service and verifiers). */
export const ERROR_TITLES: Readonly<Record<ErrorCode, string>> = {
  invalid_token: 'Invalid token',
  token_expired: 'Token expired',
  token_revoked: 'Token revoked',
  caveat_failed: 'Caveat failed',
  insufficient_scope: 'Insufficient scope',
  validation_failed: 'Validation failed',
  confirmation_required: 'Confirmation required',
  last_key_protected: 'Last key protected',
  rate_limited: 'Too many requests',
  not_found: 'Not found',
  revocation_list_stale: 'Revocation list stale',
  service_unavailable: 'Service unavailable',
  authorization_pending: 'Authorization pending',
  slow_down: 'Slow down',
  expired_token: 'Device code expired',
  access_denied: 'Access denied',
  payload_too_large: 'Payload too large',
  conflict: 'Conflict',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  no_matching_policy: 'No matching trust policy',
  internal_error: 'Internal server error',
}

/** Problem `type` URIs are this prefix + the code. */
export const PROBLEM_TYPE_PREFIX = 'urn:crumb:problem:'

/**
 * The one error type crumb throws for an expected failure. `code` is from the closed set;
 * `message` never contains a token, key or password.
 *
 * @example
 * try { verifyToken(header, opts) } catch (e) { if (e instanceof CrumbError) res.status(e.status) }
 */
export class CrumbError extends Error {
  override readonly name = 'CrumbError'
  readonly code: ErrorCode
  /** Index of the caveat that failed, where one did. */
  readonly caveatIndex: number | undefined
  /** Text of the caveat that failed (caveat text is scope, not secret). */
  readonly caveat: string | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; caveatIndex?: number; caveat?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.caveatIndex = options.caveatIndex
    this.caveat = options.caveat
  }

  /** The HTTP status that goes with the code. */
  get status(): number {
    return ERROR_CODES[this.code]
  }
}

/** True when `e` is a CrumbError (works across module copies). */
export function isCrumbError(e: unknown): e is CrumbError {
  return e instanceof CrumbError
}

/** One validation issue of a `validation_failed` problem. */
export interface ProblemIssue {
  /** Which part of the request: body, query, params or header. */
  readonly in: 'body' | 'query' | 'params' | 'header'
  /** Dotted path inside that part (`caveats.1`); '' for the part itself. */
  readonly path: string
  readonly message: string
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
 * A `service_unavailable` error: the database could not be reached (refused, dropped, restarting,
 * timed out). Whatever write it interrupted was not acknowledged; the client may retry after
 * `retryAfterS` (sent as `Retry-After`). The driver's error stays in `cause`, never in the answer.
 *
 * @example
 * throw new ServiceUnavailable(err)
 */
export class ServiceUnavailable extends CrumbError {
  readonly retryAfterS: number
  constructor(cause: unknown, retryAfterS = 2) {
    super('service_unavailable', 'the token service cannot reach its database; retry shortly', { cause })
    this.retryAfterS = Math.max(1, Math.ceil(retryAfterS))
  }
}
