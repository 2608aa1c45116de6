import { randomUUID } from 'node:crypto'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { Logger } from 'pino'
import { redactUrl } from './logger.js'

/** An `X-Request-Id` the service takes as given (else it makes one). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The fields of a request that are logged: no headers, so no credentials; the URL redacted. */
function requestFields(req: Request, id: string): Record<string, unknown> {
  return {
    id,
    method: req.method,
    url: redactUrl(req.originalUrl),
    remoteAddress: req.socket.remoteAddress,
    userAgent: req.headers['user-agent'],
  }
}

/**
 * Request logs: gives each request an id (`X-Request-Id` as sent, when it looks like one, else a
 * new UUID; echoed in the response and kept as `req.id`) and, when the response ends (or the
 * connection closes first), writes one line: `{req: {id, method, url, remoteAddress, userAgent},
 * res: {statusCode}, responseTime}` — at `info`, `warn` for a 4xx, `error` for a 5xx. Nothing is
 * built for a level the logger leaves out (pino-http made a child logger, serializing the request,
 * for every request: a tenth of a feed long-poll's cost, logs on or off).
 *
 * @example
 * app.use(requestLog(logger))
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id']
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    res.setHeader('X-Request-Id', id)
    ;(req as Request & { id?: string }).id = id
    const start = Date.now()
    const ended = (): void => {
      res.off('finish', ended)
      res.off('close', ended)
      const status = res.statusCode
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info'
      if (!logger.isLevelEnabled(level)) return
      logger[level](
        { req: requestFields(req, id), res: { statusCode: status }, responseTime: Date.now() - start },
        status >= 500 ? 'request errored' : 'request completed',
      )
    }
    res.on('finish', ended)
    res.on('close', ended)
    next()
  }
}
