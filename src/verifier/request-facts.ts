import type { IncomingHttpHeaders } from 'node:http'
import type { Request } from 'express'
import type { RequestFacts } from '../token/verify.js'
import { deviceOf, normalizeIp } from './extract.js'

/**
 * What a request declares about itself, for caveat checks: the device from `Crumb-Device` at once,
 * the client address only when first read. `req.ip` runs Express's proxy logic over a request
 * object whose shape changes with every request, a few µs each time, and most tokens carry no
 * `ip` caveat: a remembered token without one never reads it.
 *
 * @example
 * const facts = new RequestFactsOf(req, req.headers)
 * local.verify(token, facts, new Date())
 */
export class RequestFactsOf implements RequestFacts {
  readonly device: string | undefined
  readonly #req: Request
  readonly #forwardedFor: string | string[] | undefined
  #ip: string | undefined
  #ipRead = false

  constructor(req: Request, headers: IncomingHttpHeaders) {
    this.#req = req
    this.#forwardedFor = headers['x-forwarded-for']
    this.device = deviceOf(headers)
  }

  /** The client address (`req.ip`, so Express's `trust proxy` applies), IPv4-mapped IPv6 unwrapped. */
  get ip(): string | undefined {
    if (!this.#ipRead) {
      this.#ip = normalizeIp(clientAddress(this.#req, this.#forwardedFor))
      this.#ipRead = true
    }
    return this.#ip
  }
}

/**
 * `req.ip` without its cost when the answer is known: Express's `req.ip` (proxy-addr) walks the
 * X-Forwarded-For chain from the socket's address, so without that header it is the socket's
 * address whatever `trust proxy` says. Outside Express (no `req.ip`), the socket's address.
 */
function clientAddress(req: Request, forwardedFor: string | string[] | undefined): string | undefined {
  if (forwardedFor === undefined || forwardedFor === '') return req.socket?.remoteAddress ?? req.ip
  return req.ip
}
