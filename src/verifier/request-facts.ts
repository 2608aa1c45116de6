import type { IncomingHttpHeaders } from 'node:http'
import type { Request } from 'express'
import type { RequestFacts } from '../token/verify.js'
import { deviceOf, normalizeIp } from './extract.js'

/**
 * What a request declares about itself, for caveat checks: the device from `Crumb-Device` at once,
 * the client address only when first read. `req.ip` runs Express's proxy logic (or whatever the
 * app put in its place) over a request object whose shape changes with every request, a few µs
 * each time, and a remembered token without an `ip` caveat never needs it.
 * `ip` is a getter: copy facts field by field, never with a spread (which would drop it, and an
 * `ip` caveat would then refuse the token).
 *
 * @example
 * const facts = new RequestFactsOf(req, req.headers)
 * local.verify(token, facts, new Date())
 */
export class RequestFactsOf implements RequestFacts {
  readonly device: string | undefined
  readonly #req: Request
  #ip: string | undefined
  #ipRead = false

  constructor(req: Request, headers: IncomingHttpHeaders) {
    this.#req = req
    this.device = deviceOf(headers)
  }

  /** The client address as `req.ip` gives it (Express's `trust proxy` applies), IPv4-mapped IPv6 unwrapped. */
  get ip(): string | undefined {
    if (!this.#ipRead) {
      this.#ip = normalizeIp(this.#req.ip)
      this.#ipRead = true
    }
    return this.#ip
  }
}
