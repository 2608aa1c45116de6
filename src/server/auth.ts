import type { NextFunction, Request, RequestHandler, Response } from 'express'
import * as z from 'zod'
import { CrumbError } from '../errors.js'
import { type AuthContext, authenticateForOps, authenticateToken, type Service } from '../service/index.js'
import { requestMeta } from '../wire/request-meta.js'
import { presentedToken } from '../wire/token.js'
import { parseRequest } from './problem.js'

export {
  type AuthContext,
  authenticateToken,
  requireUnrestricted,
  revokedDetail,
  unusedPhrase,
} from '../service/index.js'

/** The `Crumb-Device` header: absent, or 1 to 128 characters once trimmed. */
const deviceHeader = z
  .string()
  .trim()
  .min(1, 'Crumb-Device is empty')
  .max(128, 'Crumb-Device is too long')
  .optional()

/**
 * The token a request presents: `Authorization: Bearer crumb_…[,discharges]`, else `X-API-Key`.
 *
 * @example
 * tokenOf(req) // 'crumb_AgEL…' or undefined
 */
function tokenOf(req: Request): string | undefined {
  const presented = presentedToken(req.headers)
  // Another Authorization scheme is refused even when X-API-Key is set: the client meant something else.
  if (
    req.headers.authorization !== undefined &&
    (presented.kind !== 'token' || presented.header !== 'authorization')
  ) {
    throw new CrumbError('invalid_token', 'Authorization header is not a Bearer token')
  }
  return presented.kind === 'token' ? presented.token : undefined
}

/** What {@link createAuthenticate} takes besides the service. */
export interface AuthenticateOptions {
  /**
   * Ops admitted on these routes besides the method's own (`read` for GET, else `write`): the
   * feed, `POST /v1/verify` and `POST /v1/usage` also admit `verify`, so a verifier's service token
   * (`ops = verify`) can do those and nothing else.
   */
  readonly alsoOps?: readonly string[]
}

/**
 * Express middleware: authenticates the request with the service (request facts: ip = `req.ip`,
 * device = `Crumb-Device`, op = `read` for GET / HEAD else `write`; the service's routes declare
 * no org or app, so tokens limited to one are refused), records the use (batched) and stores the
 * {@link AuthContext} for {@link authOf}.
 *
 * @example
 * router.get('/whoami', authenticate, (req, res) => res.json(authOf(res).user))
 * const forVerifiers = createAuthenticate(svc, { alsoOps: ['verify'] })
 */
export function createAuthenticate(svc: Service, options: AuthenticateOptions = {}): RequestHandler {
  const alsoOps = options.alsoOps ?? []
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const token = tokenOf(req)
    if (token === undefined) throw new CrumbError('invalid_token', 'no token presented')
    const device = parseRequest(deviceHeader, req.get('crumb-device'), 'header')
    const op = req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write'
    const meta = requestMeta(req)
    const facts = {
      ...(meta.ip === null ? {} : { ip: meta.ip }),
      ...(device === undefined ? {} : { device }),
    }
    const auth =
      alsoOps.length === 0
        ? await authenticateToken(svc, token, { op, ...facts })
        : await authenticateForOps(svc, token, facts, op, alsoOps)
    svc.usage.record({ tokenId: auth.key.id, at: svc.clock.now(), ip: meta.ip, userAgent: meta.userAgent })
    res.locals.auth = auth
    next()
  }
}

/**
 * The caller of an authenticated route.
 *
 * @example
 * const { user, key } = authOf(res)
 */
export function authOf(res: Response): AuthContext {
  const auth: unknown = res.locals.auth
  if (auth === undefined) throw new Error('route is not behind authenticate')
  return auth as AuthContext
}
