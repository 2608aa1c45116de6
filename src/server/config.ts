import * as z from 'zod'
import { type DurationBounds, durationSchema, formatDuration, MAX_TIMER_MS } from '../duration.js'
import { OWASP_SCRYPT } from '../service/password.js'
import type { ServiceSettings } from '../service/settings.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

const int = (min: number, max: number, fallback: number): z.ZodType<number, string | undefined> =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((n) => n ?? fallback)

const duration = (
  fallback: number,
  bounds: DurationBounds = {},
): z.ZodType<number, string | number | undefined> =>
  durationSchema(bounds)
    .optional()
    .transform((ms) => ms ?? fallback)

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/**
 * Every environment variable the token service reads, with its default. One schema: a bad value
 * stops start-up with a message naming the variable.
 */
export const envSchema = z.object({
  /** Port to listen on (0 = any free port; the chosen URL is printed). */
  PORT: int(0, 65_535, 8080),
  /** Interface to listen on. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Where the SQLite database and the key ring live. */
  CRUMB_DATA_DIR: z.string().min(1).default('./data'),
  /**
   * `postgres://user:pass@host:5432/crumb`: store everything in PostgreSQL (15 or newer, migrated at
   * start) instead of SQLite at `$CRUMB_DATA_DIR/crumb.db`; several instances may share it.
   */
  CRUMB_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  /** Path of the key ring file; default `$CRUMB_DATA_DIR/keyring.json` (generated, mode 0600). */
  // The service's ring is a file it creates and follows; the JSON form is for verifiers only.
  CRUMB_KEYRING: z
    .string()
    .min(1)
    .refine((v) => !v.trimStart().startsWith('{'), 'must be the path of the key ring file, not its JSON')
    .optional(),
  /** The URL users reach the service at (device flow verification URI); default: from the request. */
  CRUMB_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  CRUMB_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Express `trust proxy`: `false` (default), `true`, a hop count, or a list of addresses. */
  CRUMB_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | number | string => {
      if (v === 'false' || v === '') return false
      if (v === 'true') return true
      return /^\d+$/.test(v) ? Number(v) : v
    }),
  /** Lifetime of a new key when the request names none. */
  CRUMB_TOKEN_TTL: duration(90 * DAY, { min: 60_000 }),
  /** Longest lifetime a key may be created with (`expires_in` above it is refused). */
  CRUMB_TOKEN_MAX_TTL: duration(365 * DAY, { min: 60_000 }),
  /** Lifetime of a dashboard session. */
  CRUMB_SESSION_TTL: duration(7 * DAY, { min: 60_000 }),
  /** Longest rotation grace period. */
  CRUMB_ROTATION_MAX_GRACE: duration(24 * HOUR, { max: 30 * DAY }),
  /** Keys a user may create through the API per window. */
  CRUMB_KEY_CREATE_LIMIT: int(1, 1_000_000, 10),
  CRUMB_KEY_CREATE_WINDOW: duration(HOUR, { min: 1000 }),
  /**
   * scrypt's cost N for password hashes (a power of two). Default 2^17, OWASP's recommendation;
   * lower it only for tests (each hash then costs less than a real attacker's guess should).
   */
  CRUMB_SCRYPT_N: int(1024, 2 ** 20, OWASP_SCRYPT.n).refine((n) => Number.isInteger(Math.log2(n)), {
    message: 'must be a power of two',
  }),
  /**
   * Use a key ring file that group or others can read (with a warning) instead of refusing to start.
   * For file systems without Unix modes; fix the mode instead where you can.
   */
  CRUMB_KEYRING_ALLOW_INSECURE_MODE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Failed login attempts allowed per email and per IP per window before 429. */
  CRUMB_LOGIN_LIMIT: int(1, 1_000_000, 10),
  CRUMB_LOGIN_WINDOW: duration(15 * 60_000, { min: 1000 }),
  /** Registrations allowed per IP per hour. */
  CRUMB_REGISTER_LIMIT: int(1, 1_000_000, 30),
  /** `POST /v1/revocations` (public) requests allowed per client IP per minute. */
  CRUMB_REVOCATION_IP_LIMIT: int(1, 1_000_000, 60),
  /** `POST /v1/revocations` requests allowed per token id per hour (whatever the address). */
  CRUMB_REVOCATION_TOKEN_LIMIT: int(1, 1_000_000, 20),
  /**
   * Attenuated-token (pair) entries kept per key: revoking one more revokes the whole key (the
   * owner's audit log says so), so the list shipped to every verifier stays small.
   */
  CRUMB_REVOCATION_PAIR_LIMIT: int(1, 1_000_000, 100),
  /** Device authorizations (`POST /v1/auth/device`, public) allowed per IP per hour. */
  CRUMB_DEVICE_START_LIMIT: int(1, 1_000_000, 30),
  /** Keys unused for this long are revoked (`auto_revoked`). */
  CRUMB_UNUSED_KEY_TTL: duration(90 * DAY, { min: 60_000 }),
  /** Revoked (and expired) key rows are hard-deleted after this long (`hard_deleted`). */
  CRUMB_REVOKED_RETENTION: duration(30 * DAY),
  /** How often the background jobs run (they also run at start). */
  CRUMB_JOB_INTERVAL: duration(60_000, { min: 100, max: MAX_TIMER_MS }),
  /** Lifetime of a device authorization request (RFC 8628 `expires_in`). */
  CRUMB_DEVICE_CODE_TTL: duration(10 * 60_000, { min: 1000 }),
  /** Minimum polling interval of the device flow, in seconds (RFC 8628 `interval`). */
  CRUMB_DEVICE_POLL_INTERVAL: int(1, 3600, 5),
  /** How often last-use times seen by the service are written to the database. */
  CRUMB_USAGE_FLUSH_INTERVAL: duration(5000, { min: 10, max: MAX_TIMER_MS }),
  /** Clock-skew allowance for `expires` / `not-before` caveats. */
  CRUMB_LEEWAY: duration(30_000, { max: HOUR }),
  /**
   * Accept Client ID Metadata Documents at `http://` URLs on a loopback host (development and
   * tests); https client ids are always accepted.
   */
  CRUMB_OAUTH_ALLOW_LOOPBACK_CLIENT_IDS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** OAuth client registrations (`POST /oauth/register`, public) allowed per IP per hour. */
  CRUMB_OAUTH_REGISTER_LIMIT: int(1, 1_000_000, 30),
  /** OAuth authorization requests (`GET /oauth/authorize`) allowed per IP per hour. */
  CRUMB_OAUTH_AUTHORIZE_LIMIT: int(1, 1_000_000, 300),
  /** Requests to `/oauth/token`, `/oauth/revoke` and `/oauth/introspect` allowed per IP per minute. */
  CRUMB_OAUTH_TOKEN_LIMIT: int(1, 1_000_000, 120),
  /** How long SIGTERM waits for in-flight requests before closing connections. */
  CRUMB_SHUTDOWN_TIMEOUT: duration(10_000, { max: MAX_TIMER_MS }),
  /** Admit http OIDC issuers on a loopback host in trust policies (development and tests; #20). */
  CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
})

/**
 * The parsed configuration of the token service: the service layer's policy ({@link ServiceSettings})
 * plus what only the server process needs (where to listen and store, logging, timers).
 */
export interface ServiceConfig extends ServiceSettings {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  /** PostgreSQL URL (contains the password: never log it); undefined for SQLite in `dataDir`. */
  readonly databaseUrl: string | undefined
  readonly keyringPath: string | undefined
  readonly keyringAllowInsecureMode: boolean
  readonly logLevel: (typeof LOG_LEVELS)[number]
  readonly trustProxy: boolean | number | string
  readonly jobIntervalMs: number
  readonly usageFlushIntervalMs: number
  readonly shutdownTimeoutMs: number
  readonly oauthAllowLoopbackClientIds: boolean
  readonly oauthRegisterLimit: number
  readonly oauthAuthorizeLimit: number
  readonly oauthTokenLimit: number
  /** `CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS=true`: http issuers on a loopback host (DESIGN.md, "Workload identity"). */
  readonly oidcAllowLoopbackIssuers?: boolean
}

/** A configuration error: names the variable(s) at fault, never echoes a value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  /** The variables at fault. */
  readonly variables: readonly string[]
  constructor(message: string, variables: readonly string[]) {
    super(message)
    this.variables = variables
  }
}

/**
 * Reads the configuration from the environment (one zod schema). Throws a {@link ConfigError}
 * naming each bad variable.
 *
 * @example
 * const config = loadConfig(process.env) // PORT=0 → listen on any free port
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const picked: Record<string, string | undefined> = {}
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key]
    if (value !== undefined && value !== '') picked[key] = value
  }
  const parsed = envSchema.safeParse(picked)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`)
    const vars = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '?')))]
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`, vars)
  }
  const e = parsed.data
  if (e.CRUMB_TOKEN_TTL > e.CRUMB_TOKEN_MAX_TTL) {
    throw new ConfigError(
      `invalid configuration: CRUMB_TOKEN_TTL (${formatDuration(e.CRUMB_TOKEN_TTL)}) exceeds CRUMB_TOKEN_MAX_TTL`,
      ['CRUMB_TOKEN_TTL'],
    )
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.CRUMB_DATA_DIR,
    databaseUrl: e.CRUMB_DATABASE_URL,
    keyringPath: e.CRUMB_KEYRING,
    publicUrl: e.CRUMB_PUBLIC_URL,
    logLevel: e.CRUMB_LOG_LEVEL,
    trustProxy: e.CRUMB_TRUST_PROXY,
    tokenTtlMs: e.CRUMB_TOKEN_TTL,
    tokenMaxTtlMs: e.CRUMB_TOKEN_MAX_TTL,
    sessionTtlMs: e.CRUMB_SESSION_TTL,
    rotationMaxGraceMs: e.CRUMB_ROTATION_MAX_GRACE,
    keyCreateLimit: e.CRUMB_KEY_CREATE_LIMIT,
    keyCreateWindowMs: e.CRUMB_KEY_CREATE_WINDOW,
    scrypt: { ...OWASP_SCRYPT, n: e.CRUMB_SCRYPT_N },
    keyringAllowInsecureMode: e.CRUMB_KEYRING_ALLOW_INSECURE_MODE,
    loginLimit: e.CRUMB_LOGIN_LIMIT,
    loginWindowMs: e.CRUMB_LOGIN_WINDOW,
    registerLimit: e.CRUMB_REGISTER_LIMIT,
    deviceStartLimit: e.CRUMB_DEVICE_START_LIMIT,
    revokeIpLimit: e.CRUMB_REVOCATION_IP_LIMIT,
    revokeTokenLimit: e.CRUMB_REVOCATION_TOKEN_LIMIT,
    revocationPairLimit: e.CRUMB_REVOCATION_PAIR_LIMIT,
    unusedKeyTtlMs: e.CRUMB_UNUSED_KEY_TTL,
    revokedRetentionMs: e.CRUMB_REVOKED_RETENTION,
    jobIntervalMs: e.CRUMB_JOB_INTERVAL,
    deviceCodeTtlMs: e.CRUMB_DEVICE_CODE_TTL,
    devicePollIntervalS: e.CRUMB_DEVICE_POLL_INTERVAL,
    usageFlushIntervalMs: e.CRUMB_USAGE_FLUSH_INTERVAL,
    leewayMs: e.CRUMB_LEEWAY,
    shutdownTimeoutMs: e.CRUMB_SHUTDOWN_TIMEOUT,
    oauthAllowLoopbackClientIds: e.CRUMB_OAUTH_ALLOW_LOOPBACK_CLIENT_IDS,
    oauthRegisterLimit: e.CRUMB_OAUTH_REGISTER_LIMIT,
    oauthAuthorizeLimit: e.CRUMB_OAUTH_AUTHORIZE_LIMIT,
    oauthTokenLimit: e.CRUMB_OAUTH_TOKEN_LIMIT,
    oidcAllowLoopbackIssuers: e.CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS,
  }
}
