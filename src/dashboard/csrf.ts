import { timingSafeEqual } from 'node:crypto'
import type { Request } from 'express'
import { CrumbError } from '../errors.js'
import { CSRF_HEADER, csrfCookieOf } from './cookies.js'

/** Methods that change nothing and so need no CSRF check. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])

function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin
    return origin === 'null' ? undefined : origin
  } catch {
    return undefined
  }
}

/**
 * The origin the dashboard is served from: `CRUMB_PUBLIC_URL`'s when set; otherwise the one this
 * request addressed (scheme from the connection or a trusted proxy, `Host`).
 *
 * @example
 * expectedOrigins(req, 'https://crumb.example') // Set { 'https://crumb.example' }
 */
function expectedOrigins(req: Request, publicUrl: string | undefined): Set<string> {
  const out = new Set<string>()
  if (publicUrl !== undefined) {
    // the configured origin only: `Host` is whatever the client (or a misrouted proxy) says
    const pub = originOf(publicUrl)
    if (pub !== undefined) out.add(pub)
    return out
  }
  const host = req.get('host')
  if (host !== undefined) {
    const own = originOf(`${req.protocol}://${host}`)
    if (own !== undefined) out.add(own)
  }
  return out
}

/**
 * Where a request says it comes from: its `Origin`, else the origin of its `Referer`.
 *
 * @example
 * requestOrigin(req) // 'http://127.0.0.1:8080'
 */
function requestOrigin(req: Request): string | undefined {
  const origin = req.get('origin')
  if (origin !== undefined) return origin === 'null' ? undefined : originOf(origin)
  const referer = req.get('referer')
  return referer === undefined ? undefined : originOf(referer)
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Refuses a state-changing request that rides on the session cookie unless it proves it comes
 * from a dashboard page: the `X-CSRF-Token` header equals the `crumb_csrf` cookie (double
 * submit) and `Origin` (or `Referer`) is the dashboard's own origin. Throws 403 `forbidden`.
 *
 * @example
 * if (!SAFE_METHODS.has(req.method)) checkCsrf(req, ctx.config.publicUrl)
 */
export function checkCsrf(req: Request, publicUrl: string | undefined): void {
  checkCsrfValue(req, publicUrl, req.get(CSRF_HEADER))
}

/**
 * {@link checkCsrf} for a plain HTML form post (the OAuth consent, which must post as a form so
 * the answer can redirect to the client): the same origin check, and the CSRF value comes in a
 * hidden field instead of the header.
 *
 * @example
 * checkCsrfValue(req, ctx.config.publicUrl, req.body.csrf)
 */
export function checkCsrfValue(req: Request, publicUrl: string | undefined, presented: unknown): void {
  const origin = requestOrigin(req)
  if (origin === undefined || !expectedOrigins(req, publicUrl).has(origin)) {
    throw new CrumbError('forbidden', 'cross-origin request refused: it does not come from the dashboard')
  }
  const cookie = csrfCookieOf(req)
  if (cookie === undefined || typeof presented !== 'string' || !sameSecret(cookie, presented)) {
    throw new CrumbError('forbidden', 'missing or wrong CSRF token; reload the page and try again')
  }
}
