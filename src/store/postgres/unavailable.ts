import { ServiceUnavailable } from '../../errors.js'

// SQLSTATE codes meaning "not reachable now", as opposed to a bad statement (class 08: connection)
const UNAVAILABLE_CODES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
  '53100', // disk_full
  '58000', // system_error
  '58030', // io_error
])
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
])
// node-postgres signals lost connections and its own timeouts by message only
const DRIVER_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end',
]

/**
 * True when `err` says the database is unreachable rather than that a statement was wrong.
 *
 * @example
 * isUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })) // true
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof ServiceUnavailable) return true
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code)) return true
  }
  if (DRIVER_MESSAGES.some((m) => err.message.includes(m))) return true
  return err instanceof AggregateError && err.errors.some(isUnavailable)
}

/**
 * `err` as the service should see it: a {@link ServiceUnavailable} (503 with `Retry-After`) when the
 * database is unreachable, else unchanged.
 *
 * @example
 * catch (err) { throw asUnavailable(err) }
 */
export function asUnavailable(err: unknown): unknown {
  return isUnavailable(err) && !(err instanceof ServiceUnavailable) ? new ServiceUnavailable(err) : err
}
