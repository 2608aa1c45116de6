import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { CrumbError } from '../errors.js'
import { authorizeScope } from '../token/authorize.js'
import { verifiedClaims } from './claims.js'
import { sendProblem } from './problem.js'
import { notedResourceMetadata } from './protected-resource.js'

/**
 * A scope value: fixed, or read from the request (undefined = the route names none).
 *
 * @example
 * const org: ScopeValue = (req) => req.params.org
 */
export type ScopeValue = string | ((req: Request) => string | undefined)

/**
 * What a route requires of the token: the op it performs and the org / app it acts on.
 *
 * @example
 * const scope: RequireOptions = { op: 'deploy', org: 'acme', app: (req) => req.params.app }
 */
export interface RequireOptions {
  readonly op?: ScopeValue
  readonly org?: ScopeValue
  readonly app?: ScopeValue
}

function resolve(value: ScopeValue | undefined, req: Request): string | undefined {
  return typeof value === 'function' ? value(req) : value
}

/**
 * Route guard: checks the verified token (set by `verifier()`) against the route's op, org and
 * app, each a value or a function of the request. A token restricted on a dimension the route does
 * not name is refused (fail closed). Answers 401 when the request has no verified token, 403
 * `insufficient_scope` / `caveat_failed` (naming the dimension) when the scope does not admit it.
 * Exported from `crumb/express` as `require` (and `requireScope`).
 *
 * @example
 * import * as crumb from 'crumb/express'
 * app.delete('/orgs/:org/apps/:app',
 *   crumb.require({ op: 'write', org: (req) => req.params.org, app: (req) => req.params.app }),
 *   handler)
 */
export function requireScope(scope: RequireOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const claims = verifiedClaims(req)
    if (claims === undefined) {
      sendProblem(
        res,
        new CrumbError('invalid_token', 'this route needs a crumb token'),
        notedResourceMetadata(req),
      )
      return
    }
    // Built by assignment, not spreads: this runs on every request of a guarded route.
    const route: { op?: string; org?: string; app?: string } = {}
    try {
      const op = resolve(scope.op, req)
      const org = resolve(scope.org, req)
      const app = resolve(scope.app, req)
      if (op !== undefined) route.op = op
      if (org !== undefined) route.org = org
      if (app !== undefined) route.app = app
    } catch (error) {
      next(error)
      return
    }
    try {
      authorizeScope(claims, route)
    } catch (error) {
      sendProblem(res, error)
      return
    }
    next()
  }
}
