import type { IncomingHttpHeaders } from 'node:http'

import { normalizeIp } from '../wire/address.js'
import { presentedToken } from '../wire/token.js'

export { normalizeIp }

/**
 * The token a request presents, or undefined: `Authorization: Bearer <token>[,<discharge>…]`
 * (the scheme is case-insensitive), else `X-API-Key: <token>`. The value is returned as sent
 * (trimmed); decoding and verification come later. Another Authorization scheme (Basic…) is not a
 * crumb token, so `X-API-Key` is still looked at.
 *
 * @example
 * extractToken({ authorization: 'Bearer crumb_AAA,crumb_BBB' }) // 'crumb_AAA,crumb_BBB'
 * extractToken({ 'x-api-key': 'crumb_AAA' })                    // 'crumb_AAA'
 */
export function extractToken(headers: IncomingHttpHeaders): string | undefined {
  const presented = presentedToken(headers)
  return presented.kind === 'token' ? presented.token : undefined
}

/**
 * The device a request declares (`Crumb-Device` header), or undefined.
 *
 * @example
 * deviceOf({ 'crumb-device': 'ci-runner-3' }) // 'ci-runner-3'
 */
export function deviceOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['crumb-device']
  const device = (Array.isArray(value) ? value[0] : value)?.trim()
  return device === undefined || device === '' ? undefined : device
}
