import { type DestinationStream, type Logger, pino } from 'pino'

/** Paths pino blanks out: credentials in headers and secrets in any logged body or object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'token',
  'password',
  'device_code',
  '*.token',
  '*.password',
  '*.device_code',
  '*.*.token',
  '*.*.password',
  '*.*.device_code',
]

/** Query parameters whose values are credentials or one-time codes: never logged. */
export const SECRET_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'user_code',
  'device_code',
  'code',
  'token',
  'access_token',
  'api_key',
  'password',
])

/** Anything that looks like a crumb token (the secret scanners' pattern, from 20 characters). */
const CRUMB_TOKEN = /crumb_[A-Za-z0-9_-]{20,}/g

/**
 * A request URL as logged: anything that looks like a crumb token (`crumb_` + 20 or more
 * base64url characters, wherever it is) and the values of {@link SECRET_QUERY_PARAMS} (the
 * device flow's `?user_code=` above all) replaced by `[redacted]`, whatever their case or encoding.
 *
 * @example
 * redactUrl('/device?user_code=WDJB-MJHT') // '/device?user_code=[redacted]'
 * redactUrl('/v1/tokens/crumb_AgELbG9jYWxob3N0OjcwMDA') // '/v1/tokens/[redacted]'
 */
export function redactUrl(raw: string): string {
  // a token anywhere (a path segment, any query parameter): the pattern secret scanners use
  const url = raw.replace(CRUMB_TOKEN, '[redacted]')
  const q = url.indexOf('?')
  if (q === -1) return url
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=')
      const rawName = eq === -1 ? part : part.slice(0, eq)
      let name = rawName
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '))
      } catch {
        // undecodable name: judged as written
      }
      return SECRET_QUERY_PARAMS.has(name.trim().toLowerCase()) ? `${rawName}=[redacted]` : part
    })
  return `${url.slice(0, q)}?${parts.join('&')}`
}

/**
 * The service logger: JSON lines, secrets redacted.
 *
 * @example
 * const logger = createLogger({ level: 'info' })
 * const quiet = createLogger({ level: 'debug', destination: myStream }) // tests capture the stream
 */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  const config = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'crumb' },
  }
  return options.destination === undefined ? pino(config) : pino(config, options.destination)
}
