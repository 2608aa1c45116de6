import * as z from 'zod'
import { audienceSchema, CaveatRegistry, defaultRegistry } from '../../caveats/index.js'
import { durationSchema, MAX_TIMER_MS } from '../duration.js'
import { CrumbError } from '../errors.js'
import type { KeyRing } from '../token/keyring.js'
import { MAX_VERIFIER_LEEWAY_MS } from '../token/revocation.js'
import { type ServiceFetch, serviceFetch } from './service-fetch.js'

/**
 * Where the verifier reports what goes wrong in the background (feed, usage). Never given a token.
 *
 * @example
 * const logger: VerifierLogger = { warn: (m, f) => pino.warn(f, m), error: (m, f) => pino.error(f, m) }
 */
export interface VerifierLogger {
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/**
 * A fetch for the verifier's calls to the token service, when the app needs its own (a proxy).
 * Without one, the verifier uses `node:http` / `node:https`, not the global fetch (see
 * `serviceFetch`); a private CA is then trusted through NODE_EXTRA_CA_CERTS.
 *
 * @example
 * const fetchWithProxy: FetchLike = (url, init) => fetch(url, { ...init, dispatcher: proxyAgent })
 */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>

/**
 * Options of `verifier()`, as a service writes them. Durations are milliseconds or text (`5m`).
 *
 * @example
 * const options: VerifierOptions = {
 *   keys: process.env.CRUMB_KEYRING,            // path to the token service's key ring: local mode
 *   server: 'https://crumb.internal',           // feed, usage (and verify, in remote mode)
 *   serviceToken: process.env.CRUMB_SERVICE_TOKEN,
 *   maxStaleness: '5m',
 * }
 */
export interface VerifierOptions {
  /** `local` (default) verifies with `keys`; `remote` asks the token service (`POST /v1/verify`). */
  readonly mode?: 'local' | 'remote'
  /** Local mode: a key ring, a path to a key ring file (re-read when it changes), or its JSON text. */
  readonly keys?: KeyRing | string
  /** The token service's base URL (`https://crumb.example`). */
  readonly server?: string
  /** The token the service presents to the feed, usage and verify routes. */
  readonly serviceToken?: string
  /**
   * The revocation feed: `url` is the feed URL or the token service's base URL (default `server`),
   * `token` overrides `serviceToken`. `false` turns revocation checking off (local mode only).
   */
  readonly revocations?: { readonly url?: string; readonly token?: string } | false
  /** Refuse requests (503 `revocation_list_stale`) after this long without a successful sync. Default `5m`. */
  readonly maxStaleness?: string | number
  /** Keep verifying with the last list known when the feed is stale (explicit opt-in). Default false. */
  readonly failOpen?: boolean
  /**
   * Clock-skew allowance for `expires` / `not-before`. Default `30s`, at most `5m`
   * (MAX_VERIFIER_LEEWAY_MS): revocation entries are kept only that long past a token's expiry, so a
   * larger leeway would accept revoked tokens after they expire.
   */
  readonly leeway?: string | number
  /** Report last use to `POST /v1/usage` (default true when a server is known), or tune it. */
  readonly usage?:
    | boolean
    | {
        readonly interval?: string | number
        /** How stale "last used" may be: a token is recorded at most once per this. Default `1s`; 0 = every request. */
        readonly resolution?: string | number
        readonly maxPending?: number
        readonly batchSize?: number
      }
  /** Remote mode: cache of positive results. Default `{ ttl: '1m', max: 10000 }`. */
  readonly cache?: { readonly ttl?: string | number; readonly max?: number }
  /**
   * This service's resource identifier (`https://deploy.example`): tokens with an `aud` caveat must
   * name it. Without one, a token that names any audience is refused (OAuth access tokens are
   * meant for one resource).
   */
  readonly audience?: string
  /**
   * The RFC 9728 metadata URL that 401 answers point to (`resource_metadata`). Default: that of the
   * `protectedResource()` whose resource is `audience`, if one exists in this process.
   */
  readonly resourceMetadata?: string
  /** When false, a request without a token passes with `req.crumb` unset (`require` then refuses it). Default true. */
  readonly credentialsRequired?: boolean
  /** Caveat kinds understood (default: the eight built-ins). */
  readonly registry?: CaveatRegistry
  /** Timeout of one call to the token service (verify, usage). Default `5s`. */
  readonly timeout?: string | number
  readonly fetch?: FetchLike
  readonly logger?: VerifierLogger
}

/** Options after parsing: every default applied, every URL resolved. */
export interface ResolvedVerifierOptions {
  readonly mode: 'local' | 'remote'
  readonly keys: KeyRing | string | undefined
  /** Base URL of the token service, without a trailing slash. */
  readonly server: string | undefined
  readonly serviceToken: string | undefined
  readonly feed: { readonly url: string; readonly token: string } | undefined
  readonly maxStalenessMs: number
  readonly failOpen: boolean
  readonly leewayMs: number
  readonly usage:
    | {
        readonly intervalMs: number
        readonly resolutionMs: number
        readonly maxPending: number
        readonly batchSize: number
      }
    | undefined
  readonly cache: { readonly ttlMs: number; readonly max: number }
  readonly credentialsRequired: boolean
  /** Canonical (see `canonicalAudience`). */
  readonly audience: string | undefined
  readonly resourceMetadata: string | undefined
  readonly registry: CaveatRegistry
  readonly timeoutMs: number
  readonly fetch: ServiceFetch
  readonly logger: VerifierLogger
}

const FEED_PATH = '/v1/revocations'

const httpUrl = z
  .string()
  .trim()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'must be an http(s) URL')

const token = z.string().trim().min(1, 'must not be empty')

/** Milliseconds or text such as `5m` (the grammar the CLI and the token service take too). */
const duration = durationSchema()
/** A duration that feeds a Node timer: at most 24 days (see MAX_TIMER_MS). */
const timerDuration = durationSchema({ max: MAX_TIMER_MS })

const isKeyRing = (v: unknown): v is KeyRing =>
  typeof v === 'object' && v !== null && 'primary' in v && 'keys' in v && (v as KeyRing).keys instanceof Map

const schema = z
  .object({
    mode: z.enum(['local', 'remote']).default('local'),
    keys: z.union([z.custom<KeyRing>(isKeyRing, 'must be a KeyRing'), z.string().min(1)]).optional(),
    server: httpUrl.optional(),
    serviceToken: token.optional(),
    revocations: z
      .union([z.literal(false), z.object({ url: httpUrl.optional(), token: token.optional() })])
      .optional(),
    maxStaleness: duration.default(5 * 60_000),
    failOpen: z.boolean().default(false),
    leeway: duration.default(30_000).refine((ms) => ms <= MAX_VERIFIER_LEEWAY_MS, {
      message:
        `at most ${MAX_VERIFIER_LEEWAY_MS / 60_000}m: the token service keeps a revocation entry only that long ` +
        "past the token's expiry, so a larger leeway would accept revoked tokens once they expire",
    }),
    usage: z
      .union([
        z.boolean(),
        z.object({
          interval: timerDuration.optional(),
          resolution: duration.optional(),
          maxPending: z.number().int().positive().optional(),
          batchSize: z.number().int().positive().max(10_000).optional(),
        }),
      ])
      .optional(),
    cache: z.object({ ttl: duration.optional(), max: z.number().int().nonnegative().optional() }).default({}),
    credentialsRequired: z.boolean().default(true),
    audience: audienceSchema.optional(),
    resourceMetadata: httpUrl.optional(),
    registry: z.instanceof(CaveatRegistry).optional(),
    timeout: timerDuration.default(5_000),
    fetch: z.custom<FetchLike>((v) => typeof v === 'function', 'must be a function').optional(),
    logger: z
      .custom<VerifierLogger>(
        (v) => typeof v === 'object' && v !== null && 'warn' in v && 'error' in v,
        'must have warn and error methods',
      )
      .optional(),
  })
  .strict()

const stripSlash = (url: string): string => url.replace(/\/+$/, '')

/** Logs to stderr, one line per event. */
const stderrLogger: VerifierLogger = {
  warn: (message, fields) => console.warn(`[crumb] ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[crumb] ${message}`, fields ?? ''),
}

function invalid(message: string): CrumbError {
  return new CrumbError('validation_failed', `crumb.verifier: ${message}`)
}

/**
 * Parses and checks verifier options at construction, so a misconfigured service fails at start,
 * not at its first request: local mode needs `keys`; remote mode needs `server` and a service
 * token; the revocation feed needs a URL and a token unless `revocations: false`.
 * Throws `validation_failed` (naming the option, never a secret).
 *
 * @example
 * const resolved = parseVerifierOptions({ keys: ring, server: 'http://127.0.0.1:7000', serviceToken })
 * resolved.feed?.url // 'http://127.0.0.1:7000/v1/revocations'
 */
export function parseVerifierOptions(options: VerifierOptions): ResolvedVerifierOptions {
  const parsed = schema.safeParse(options)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`)
    throw invalid(`invalid options (${issues.join('; ')})`)
  }
  const o = parsed.data
  const feedOption = o.revocations === false ? undefined : (o.revocations ?? {})

  // The base URL: `server`, else what `revocations.url` names.
  let server = o.server === undefined ? undefined : stripSlash(o.server)
  let feedUrl: string | undefined
  if (feedOption?.url !== undefined) {
    const given = stripSlash(feedOption.url)
    const isFeed = new URL(given).pathname.endsWith(FEED_PATH)
    feedUrl = isFeed ? given : given + FEED_PATH
    server ??= isFeed ? given.slice(0, -FEED_PATH.length) : given
  } else if (server !== undefined) {
    feedUrl = server + FEED_PATH
  }

  if (o.mode === 'local' && o.keys === undefined) {
    throw invalid(
      'local mode needs `keys` (a key ring, or the path of the key ring file); or set mode: "remote"',
    )
  }
  if (o.mode === 'remote' && o.keys !== undefined) throw invalid('remote mode takes no `keys`')
  const anyToken = o.serviceToken ?? feedOption?.token
  if (o.mode === 'remote' && (server === undefined || anyToken === undefined)) {
    throw invalid('remote mode needs `server` and `serviceToken`')
  }
  if (o.mode === 'remote' && feedOption === undefined) {
    throw invalid('remote mode needs the revocation feed (it drops cached results on revocation)')
  }

  let feed: ResolvedVerifierOptions['feed']
  if (feedOption !== undefined) {
    const feedToken = feedOption.token ?? o.serviceToken
    if (feedUrl === undefined || feedToken === undefined) {
      throw invalid(
        'the revocation feed needs a URL (`server` or `revocations.url`) and a token (`serviceToken` or ' +
          '`revocations.token`); pass `revocations: false` to verify without revocation checks',
      )
    }
    feed = { url: feedUrl, token: feedToken }
  }

  const usageToken = anyToken
  const usageWanted = o.usage ?? (server !== undefined && usageToken !== undefined)
  if (usageWanted !== false && (server === undefined || usageToken === undefined)) {
    throw invalid('usage reports need `server` and `serviceToken`; or pass usage: false')
  }
  const usageTune = typeof usageWanted === 'object' ? usageWanted : {}
  const usage =
    usageWanted === false
      ? undefined
      : {
          intervalMs: usageTune.interval ?? 2_000,
          resolutionMs: usageTune.resolution ?? 1_000,
          maxPending: usageTune.maxPending ?? 10_000,
          batchSize: usageTune.batchSize ?? 500,
        }

  if (typeof o.keys === 'string' && o.keys.trim() === '') throw invalid('`keys` is empty')

  return {
    mode: o.mode,
    keys: o.keys,
    server,
    serviceToken: usageToken,
    feed,
    maxStalenessMs: o.maxStaleness,
    failOpen: o.failOpen,
    leewayMs: o.leeway,
    usage,
    cache: { ttlMs: o.cache.ttl ?? 60_000, max: o.cache.max ?? 10_000 },
    credentialsRequired: o.credentialsRequired,
    audience: o.audience,
    resourceMetadata: o.resourceMetadata,
    registry: o.registry ?? defaultRegistry(),
    timeoutMs: o.timeout,
    fetch: o.fetch ?? serviceFetch,
    logger: o.logger ?? stderrLogger,
  }
}
