import { IncomingMessage } from 'node:http'

/**
 * Where `req.crumb` is kept: a WeakMap keyed by the request, behind a `crumb` accessor on
 * `IncomingMessage.prototype`, rather than a property added to each request.
 *
 * Why: Express moves every request onto its app's prototype (`Object.setPrototypeOf`), and V8 then
 * gives that request a hidden class of its own. Adding a property to it builds yet another hidden
 * class and copies its ~50 property descriptors: under callgrind, setting `req.crumb` to a constant
 * cost about 20k instructions per request, 3% of the example's whole read route, and a WeakMap entry
 * behind an accessor cost nothing measurable. A WeakMap entry does not change the request's shape.
 *
 * The accessor sits on `IncomingMessage.prototype` so every Express app, mounted sub-apps included,
 * sees it (each app has a prototype of its own, all of which derive from it). Reading and assigning
 * `req.crumb` work as for a plain property; `delete req.crumb` does not clear it (assign undefined).
 * Objects that are not an `IncomingMessage` (test doubles, HTTP/2 requests) get a plain property.
 */
const slots = new WeakMap<object, unknown>()

const descriptor: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: object): unknown {
    return slots.get(this)
  },
  set(this: object, value: unknown): void {
    if (value === undefined) slots.delete(this)
    else slots.set(this, value)
  },
}

/** Whether requests use the slot: false until installed, or when something else already owns `crumb`. */
let installed = false

/**
 * Puts the `crumb` accessor on `IncomingMessage.prototype`, once. If another copy of crumb (or
 * anything else) already defined `crumb` there, it is left alone and requests get a plain property.
 */
export function installRequestSlot(): void {
  if (installed) return
  const existing = Object.getOwnPropertyDescriptor(IncomingMessage.prototype, 'crumb')
  if (existing !== undefined) return
  Object.defineProperty(IncomingMessage.prototype, 'crumb', descriptor)
  installed = true
}

/** Sets `req.crumb` (undefined clears it). */
export function setCrumbSlot(req: object, value: unknown): void {
  if (installed && req instanceof IncomingMessage) {
    if (value === undefined) slots.delete(req)
    else slots.set(req, value)
    return
  }
  ;(req as { crumb?: unknown }).crumb = value
}

/**
 * `req.crumb` as the verifier last set it. The slot is read first: it is what `req.crumb` returns
 * for any request the accessor serves, without a property lookup on the request.
 */
export function getCrumbSlot(req: object): unknown {
  return slots.get(req) ?? (req as { crumb?: unknown }).crumb
}
