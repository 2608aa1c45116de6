import type { Request } from 'express'
import type { RequestMeta } from '../service/context.js'
import { normalizeIp } from './address.js'

export type { RequestMeta } from '../service/context.js'

/**
 * The client address of a request (`req.ip`, so `trust proxy` applies), IPv4-mapped IPv6
 * written as plain IPv4.
 *
 * @example
 * clientIp(req) // '203.0.113.7'
 */
export function clientIp(req: Request): string | undefined {
  return normalizeIp(req.ip)
}

/**
 * The client address and user agent of a request (user agent capped at 512 characters).
 *
 * @example
 * const meta = requestMeta(req) // { ip: '203.0.113.7', userAgent: 'crumb-cli/0.1' }
 */
export function requestMeta(req: Request): RequestMeta {
  const ua = req.get('user-agent')
  return { ip: clientIp(req) ?? null, userAgent: ua === undefined ? null : ua.slice(0, 512) }
}
