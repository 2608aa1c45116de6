import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { type AuthContext, authenticateToken, type Service } from '../service/index.js'
import { requestMeta } from '../wire/request-meta.js'
import { sessionCookieOf } from './cookies.js'
import { checkCsrf, SAFE_METHODS } from './csrf.js'

/**
 * The signed-in dashboard session of a page request: the cookie's token verified as the API
 * would verify it (and it must be a `dashboard-session` key). Records the use, so the sessions
 * page shows when each browser was last seen. Undefined when signed out, expired or revoked.
 *
 * @example
 * const session = await dashboardSession(svc, req)
 * if (session === undefined) res.redirect('/sign-in')
 */
export async function dashboardSession(ctx: Service, req: Request): Promise<AuthContext | undefined> {
  const token = sessionCookieOf(req)
  if (token === undefined) return undefined
  const meta = requestMeta(req)
  let auth: AuthContext
  try {
    auth = await authenticateToken(ctx, token, {
      op: SAFE_METHODS.has(req.method) ? 'read' : 'write',
      ...(meta.ip === null ? {} : { ip: meta.ip }),
    })
  } catch {
    return undefined
  }
  if (auth.key.source !== 'dashboard-session') return undefined
  ctx.usage.record({ tokenId: auth.key.id, at: ctx.clock.now(), ip: meta.ip, userAgent: meta.userAgent })
  return auth
}

function provesDashboardPage(req: Request, publicUrl: string | undefined): boolean {
  try {
    checkCsrf(req, publicUrl)
    return true
  } catch {
    return false
  }
}

/**
 * Lets dashboard pages call the documented `/v1` API with their session cookie. Mounted once,
 * before the `/v1` routes: a request without `Authorization` or `X-API-Key` but with the session
 * cookie gets `Authorization: Bearer <cookie token>`, and the routes authenticate it as usual.
 * A state-changing request must also pass {@link checkCsrf} (else 403 `forbidden`); a safe one
 * that does not is marked (`isUnprovenCookieRequest`), as a page elsewhere may have caused it.
 * Requests that present a token themselves are untouched.
 *
 * @example
 * app.use('/v1', sessionBridge(ctx))
 */
export function sessionBridge(ctx: Pick<Service, 'config'>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined) {
      next()
      return
    }
    const token = sessionCookieOf(req)
    if (token === undefined) {
      next()
      return
    }
    if (!SAFE_METHODS.has(req.method)) checkCsrf(req, ctx.config.publicUrl)
    else if (!provesDashboardPage(req, ctx.config.publicUrl)) res.locals.unprovenCookie = true
    req.headers.authorization = `Bearer ${token}`
    next()
  }
}
