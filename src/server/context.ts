import type { RequestHandler } from 'express'
import type { Service } from '../service/index.js'
import type { ServiceConfig } from './config.js'

export { clientIp, type RequestMeta, requestMeta } from '../wire/request-meta.js'

/** What a route needs: the service, the full configuration, and the authenticating middleware. */
export interface ServiceContext extends Service {
  readonly config: ServiceConfig
  /** Middleware: verifies the request's token and puts an `AuthContext` in `res.locals`. */
  readonly authenticate: RequestHandler
}
