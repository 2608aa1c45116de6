import type { IncomingHttpHeaders } from 'node:http'

/** `Bearer <credentials>`: the scheme in any case, the credentials trimmed (RFC 6750 section 2.1). */
const BEARER = /^Bearer[ \t]+(\S(?:.*\S)?)[ \t]*$/i

/**
 * What a request presents as its token (DESIGN.md "Token string"):
 * - `token`: `Authorization: Bearer crumb_AAA[,crumb_BBB…]` (primary and discharges, comma-joined,
 *   returned as sent) or else `X-API-Key: crumb_…`, trimmed;
 * - `none`: neither header carries a value;
 * - `other-scheme`: an `Authorization` header of another scheme (`Basic …`) and no `X-API-Key`.
 */
export type PresentedToken =
  | { readonly kind: 'token'; readonly token: string; readonly header: 'authorization' | 'x-api-key' }
  | { readonly kind: 'none' }
  | { readonly kind: 'other-scheme' }

/** The first value of a header that may repeat, trimmed; undefined when absent or blank. */
function headerValue(value: string | readonly string[] | undefined): string | undefined {
  const first = (typeof value === 'string' ? value : value?.[0])?.trim()
  return first === undefined || first === '' ? undefined : first
}

/**
 * The credentials of an `Authorization: Bearer …` value, or undefined for another scheme or an
 * empty one.
 *
 * @example
 * bearerCredentials('bearer  crumb_AAA,crumb_BBB ') // 'crumb_AAA,crumb_BBB'
 * bearerCredentials('Basic dXNlcjpwYXNz')            // undefined
 */
export function bearerCredentials(authorization: string): string | undefined {
  return BEARER.exec(authorization)?.[1]
}

/**
 * Reads the token a request presents: `Authorization: Bearer …` first, else `X-API-Key`. The
 * value is returned as sent (trimmed): decoding and verification come later. What to do about
 * another Authorization scheme is the caller's choice (the token service refuses it, a service's
 * verifier looks at `X-API-Key` and else answers as if no token came).
 *
 * @example
 * presentedToken({ authorization: 'Bearer crumb_AAA,crumb_BBB' }) // { kind: 'token', token: 'crumb_AAA,crumb_BBB', header: 'authorization' }
 * presentedToken({ 'x-api-key': 'crumb_AAA' })                    // { kind: 'token', token: 'crumb_AAA', header: 'x-api-key' }
 * presentedToken({ authorization: 'Basic dXNlcjpwYXNz' })         // { kind: 'other-scheme' }
 */
export function presentedToken(headers: IncomingHttpHeaders): PresentedToken {
  const authorization = headers.authorization
  let otherScheme = false
  if (authorization !== undefined) {
    const token = bearerCredentials(authorization)
    if (token !== undefined) return { kind: 'token', token, header: 'authorization' }
    otherScheme = authorization.trim() !== ''
  }
  const apiKey = headerValue(headers['x-api-key'])
  if (apiKey !== undefined) return { kind: 'token', token: apiKey, header: 'x-api-key' }
  return otherScheme ? { kind: 'other-scheme' } : { kind: 'none' }
}
