import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import type { Logger } from 'pino'
import { CrumbError } from '../errors.js'
import { ValidationProblem, writeProblem } from '../wire/problem.js'

export { parseRequest } from '../service/validate.js'

// The problem+json type lives in src/wire (shared with the verifier and the CLI); these are the
// names server code has always imported from here.
export {
  type ProblemBody,
  type ProblemIssue,
  problemBody,
  RateLimited,
  ValidationProblem,
} from '../wire/problem.js'

/**
 * Sends a problem+json response for a CrumbError (see {@link writeProblem}).
 *
 * @example
 * sendProblem(res, new CrumbError('not_found', 'no such key'))
 */
export function sendProblem(res: Response, error: CrumbError): void {
  writeProblem(res, error)
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
