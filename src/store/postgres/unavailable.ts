/**
 * The database could not be reached (refused, dropped, restarting, pool exhausted, timed out).
 * The service answers 503 `service_unavailable` with `Retry-After` for it; the write it
 * interrupted was not acknowledged. The driver's error is kept as `cause` (never shown to clients).
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError'
  constructor(cause: unknown) {
    super('the database is unavailable', { cause })
  }
}

// SQLSTATE classes and codes meaning "not reachable now", as opposed to a bad statement
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
  if (err instanceof StoreUnavailableError) return true
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code)) return true
  }
  if (DRIVER_MESSAGES.some((m) => err.message.includes(m))) return true
  return err instanceof AggregateError && err.errors.some(isUnavailable)
}
