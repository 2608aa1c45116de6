import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import type { Logger } from 'pino'
import {
  CrumbError,
  ERROR_TITLES,
  type ErrorCode,
  PROBLEM_TYPE_PREFIX,
  type ProblemIssue,
  RateLimited,
  ServiceUnavailable,
  ValidationProblem,
} from '../errors.js'

export { type ProblemIssue, RateLimited, ValidationProblem } from '../errors.js'
export { parseRequest } from '../service/validate.js'

/** The problem+json body (RFC 9457) every error response carries. */
export interface ProblemBody {
  type: string
  title: string
  status: number
  code: ErrorCode
  detail: string
  errors?: ProblemIssue[]
}

/** The `type` URI of a problem code. */
function problemType(code: ErrorCode): string {
  return PROBLEM_TYPE_PREFIX + code
}

/** The `WWW-Authenticate` value of every 401 (DESIGN.md); the precise reason is in `code`. */
const WWW_AUTHENTICATE = 'Bearer error="invalid_token"'

/**
 * The problem+json body of a CrumbError. `status` overrides the code's own where HTTP has a
 * more precise one for the same failure (431 for a `validation_failed` of oversized headers).
 *
 * @example
 * problemBody(new CrumbError('not_found', 'no such key')) // { type: 'urn:crumb:problem:not_found', status: 404, … }
 */
export function problemBody(error: CrumbError, status: number = error.status): ProblemBody {
  const body: ProblemBody = {
    type: problemType(error.code),
    title: ERROR_TITLES[error.code],
    status,
    code: error.code,
    detail: error.message,
  }
  if (error instanceof ValidationProblem) body.errors = [...error.issues]
  return body
}

/**
 * Sends a problem+json response for a CrumbError.
 *
 * @example
 * sendProblem(res, new CrumbError('not_found', 'no such key'))
 */
export function sendProblem(res: Response, error: CrumbError): void {
  const body = problemBody(error)
  if (error.status === 401) res.set('WWW-Authenticate', WWW_AUTHENTICATE)
  if (error instanceof RateLimited || error instanceof ServiceUnavailable) {
    res.set('Retry-After', String(error.retryAfterS))
  }
  res.status(error.status).type('application/problem+json').send(JSON.stringify(body))
}

interface BodyParserError {
  type?: unknown
  status?: unknown
  statusCode?: unknown
}

function fromBodyParser(err: unknown): CrumbError | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as BodyParserError
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 0
  // the router throws a URIError (status 400) for a path with broken percent-encoding (`/v1/tokens/%E0%A4%A`):
  // a client error, not a 500. Its message echoes the path, so it is not passed on.
  if (err instanceof URIError && status === 400) {
    return new ValidationProblem('request path is not valid percent-encoding', [
      { in: 'params', path: '', message: 'malformed percent-encoding' },
    ])
  }
  if (!('type' in err)) return undefined
  if (typeof e.type !== 'string' || status < 400 || status >= 500) return undefined
  if (e.type === 'entity.too.large') {
    return new CrumbError('payload_too_large', 'request body is larger than 16 KiB')
  }
  if (e.type === 'entity.parse.failed') {
    return new ValidationProblem('request body is not valid JSON', [
      { in: 'body', path: '', message: 'malformed JSON' },
    ])
  }
  return new ValidationProblem('request body could not be read', [{ in: 'body', path: '', message: e.type }])
}

/**
 * Refuses bodies declared larger than `limit` bytes before reading them (any content type).
 *
 * @example
 * app.use(bodyLimit(16 * 1024))
 */
export function bodyLimit(limit: number): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const length = Number(req.headers['content-length'] ?? 0)
    if (Number.isFinite(length) && length > limit) {
      next(new CrumbError('payload_too_large', `request body is larger than ${limit / 1024} KiB`))
      return
    }
    next()
  }
}

/**
 * The final error handler: CrumbErrors become their problem; body-parser failures become 400 /
 * 413; anything else is logged (with its stack) and answered with a bare 500 problem.
 *
 * @example
 * app.use(errorHandler(logger))
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const known = err instanceof CrumbError ? err : fromBodyParser(err)
    if (res.headersSent) {
      req.socket.destroy()
      return
    }
    if (known !== undefined) {
      if (known instanceof ServiceUnavailable) {
        const cause = known.cause instanceof Error ? known.cause.message : String(known.cause)
        logger.warn({ cause, req_id: (req as Request & { id?: unknown }).id }, 'database unavailable')
      }
      sendProblem(res, known)
      return
    }
    logger.error({ err, req_id: (req as Request & { id?: unknown }).id }, 'unhandled error')
    // The cause stays in the log; the answer is the same uniform problem as every other error.
    sendProblem(res, new CrumbError('internal_error', 'the server failed to handle this request'))
  }
}

/** 404 problem for unknown routes. */
export const notFoundHandler: RequestHandler = (req, _res, next): void => {
  next(new CrumbError('not_found', `no route for ${req.method} on this path`))
}
