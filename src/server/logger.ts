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
