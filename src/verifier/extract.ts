import type { IncomingHttpHeaders } from 'node:http'

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i
const BEARER = /^Bearer[ \t]+(\S(?:.*\S)?)[ \t]*$/i

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
  const authorization = headers.authorization
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization)
    if (match?.[1] !== undefined) return match[1]
  }
  const apiKey = headers['x-api-key']
  const key = (Array.isArray(apiKey) ? apiKey[0] : apiKey)?.trim()
  return key === undefined || key === '' ? undefined : key
}

/**
 * The client address as caveats see it: IPv4-mapped IPv6 (`::ffff:127.0.0.1`) becomes plain IPv4.
 *
 * @example
 * normalizeIp('::ffff:10.1.2.3') // '10.1.2.3'
 */
export function normalizeIp(address: string | undefined): string | undefined {
  if (address === undefined || address === '') return undefined
  // Only a mapped address (it starts with `::`) needs the pattern; plain IPv4 and IPv6 are kept as they are.
  if (address.charCodeAt(0) !== 58 /* : */) return address
  const mapped = MAPPED_IPV4.exec(address)
  return mapped?.[1] ?? address
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
