import type { RequestHandler, Response } from 'express'
import type { Service } from '../service/index.js'
import type { ServiceConfig } from './config.js'

export { clientIp, type RequestMeta, requestMeta } from '../wire/request-meta.js'

/** What a route needs: the service, the full configuration, and the authenticating middleware. */
export interface ServiceContext extends Service {
  readonly config: ServiceConfig
  /** Middleware: verifies the request's token and puts an `AuthContext` in `res.locals`. */
  readonly authenticate: RequestHandler
  /**
   * Like `authenticate`, for the routes verifiers call (the feed, `POST /v1/verify`, `POST /v1/usage`):
   * a token with `ops = verify` is admitted there too, and nowhere else.
   */
  readonly authenticateVerifier: RequestHandler
}

/**
 * Whether this request rode on the dashboard session cookie without proving it comes from a
 * dashboard page (the `sessionBridge` marks safe-method requests it lets through unchecked).
 *
 * @example
 * const limiter = isUnprovenCookieRequest(res) ? ctx.limits.deviceLookup : ctx.limits.deviceCode
 */
export function isUnprovenCookieRequest(res: Response): boolean {
  return res.locals.unprovenCookie === true
}
