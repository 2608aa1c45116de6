import { randomBytes } from 'node:crypto'
import { parseCookie } from 'cookie'
import type { Request, Response } from 'express'

/**
 * The dashboard's two cookies. The session cookie holds the token of a `dashboard-session` key
 * and is HttpOnly: page scripts never see it. The CSRF cookie is a random value page scripts
 * echo in the {@link CSRF_HEADER} header (double submit).
 */

/** HttpOnly, SameSite=Lax: the session key's token (named `__Host-crumb_session` when Secure). */
export const SESSION_COOKIE = 'crumb_session'
/** Readable by page scripts, SameSite=Lax: the double-submit CSRF value. */
export const CSRF_COOKIE = 'crumb_csrf'
/** The header state-changing requests echo the CSRF cookie in. */
export const CSRF_HEADER = 'x-csrf-token'

/** A CSRF value: 32 random bytes, base64url. */
const CSRF_VALUE = /^[A-Za-z0-9_-]{43}$/

/**
 * One cookie of a request, parsed by the `cookie` package (first value wins, values trimmed,
 * percent-decoding applied where it is valid); undefined when absent.
 *
 * @example
 * cookieOf(req, 'crumb_csrf')
 */
function cookieOf(req: Request, name: string): string | undefined {
  const header = req.headers.cookie
  return header === undefined ? undefined : parseCookie(header)[name]
}

/**
 * The session token a request's cookie carries, if any.
 *
 * @example
 * const token = sessionCookieOf(req) // 'crumb_AgEL…' or undefined
 */
export function sessionCookieOf(req: Request): string | undefined {
  const value = cookieOf(req, sessionCookieName(req))
  return value === undefined || value === '' ? undefined : value
}

/**
 * The request's CSRF cookie when it is well formed.
 *
 * @example
 * csrfCookieOf(req) // 'q1w2…' (43 characters) or undefined
 */
export function csrfCookieOf(req: Request): string | undefined {
  const value = cookieOf(req, CSRF_COOKIE)
  return value !== undefined && CSRF_VALUE.test(value) ? value : undefined
}

/**
 * `Secure` when the service's public URL (`CRUMB_PUBLIC_URL`, which `createApp` puts in
 * `app.locals.publicUrl`) is https — behind a TLS proxy the hop to us may be plain http — or
 * when the request came over HTTPS (directly, or via a trusted proxy).
 */
function secure(req: Request): boolean {
  if (req.secure) return true
  const publicUrl: unknown = req.app?.locals.publicUrl
  return typeof publicUrl === 'string' && publicUrl.startsWith('https:')
}

/**
 * The session cookie's name: `__Host-crumb_session` where cookies are Secure (the browser then
 * accepts it only with Secure, Path=/ and no Domain, so a sibling host cannot plant or overwrite
 * it), else `crumb_session`. Only the name of the current mode is read.
 */
function sessionCookieName(req: Request): string {
  return secure(req) ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE
}

/**
 * Sets a fresh CSRF cookie (readable by page scripts) and returns its value.
 *
 * @example
 * issueCsrfCookie(req, res)
 */
export function issueCsrfCookie(req: Request, res: Response): string {
  const value = randomBytes(32).toString('base64url')
  res.cookie(CSRF_COOKIE, value, { httpOnly: false, sameSite: 'lax', secure: secure(req), path: '/' })
  return value
}

/**
 * Makes sure the browser holds a CSRF cookie (pages call this before their scripts need it).
 *
 * @example
 * ensureCsrfCookie(req, res)
 */
export function ensureCsrfCookie(req: Request, res: Response): void {
  if (csrfCookieOf(req) === undefined) issueCsrfCookie(req, res)
}

/**
 * Stores a session token in the HttpOnly cookie, for as long as the session key lives.
 *
 * @example
 * setSessionCookie(req, res, minted.token, ctx.config.sessionTtlMs)
 */
export function setSessionCookie(req: Request, res: Response, token: string, maxAgeMs: number): void {
  res.cookie(sessionCookieName(req), token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secure(req),
    path: '/',
    maxAge: maxAgeMs,
  })
}

/**
 * Removes the session cookie.
 *
 * @example
 * clearSessionCookie(req, res)
 */
export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(sessionCookieName(req), { httpOnly: true, sameSite: 'lax', secure: secure(req), path: '/' })
}

/**
 * HttpOnly, Path=/device: the user code of a device approval that had to wait for a sign-in
 * (so the code never travels in the sign-in page's `next` parameter, or its logs).
 */
export const DEVICE_CODE_COOKIE = 'crumb_device_code'

/** What a user code may look like (letters, spaces, dashes). */
const USER_CODE = /^[A-Za-z][A-Za-z -]{0,31}$/

/**
 * The user code a device approval page should show, if it is well formed.
 *
 * @example
 * const code = devicePageQuery.parse(req.query).user_code ?? deviceCodeCookieOf(req)
 */
export function deviceCodeCookieOf(req: Request): string | undefined {
  const value = cookieOf(req, DEVICE_CODE_COOKIE)
  return value !== undefined && USER_CODE.test(value) ? value : undefined
}

/**
 * Remembers a user code across the sign-in (or forgets it with `code` undefined).
 *
 * @example
 * setDeviceCodeCookie(req, res, 'WDJB-MJHT', 600_000)
 */
export function setDeviceCodeCookie(
  req: Request,
  res: Response,
  code: string | undefined,
  maxAgeMs = 0,
): void {
  const options = { httpOnly: true, sameSite: 'lax', secure: secure(req), path: '/device' } as const
  if (code === undefined || !USER_CODE.test(code)) res.clearCookie(DEVICE_CODE_COOKIE, options)
  else res.cookie(DEVICE_CODE_COOKIE, code, { ...options, maxAge: maxAgeMs })
}
