import type { Request, RequestHandler, Response } from 'express'
import type { Logger } from 'pino'
import type { CaveatRegistry } from '../../caveats/index.js'
import type { Store } from '../store/index.js'
import type { KeyRing } from '../token/index.js'
import { normalizeIp } from '../wire/address.js'
import type { Clock } from './clock.js'
import type { ServiceConfig } from './config.js'
import type { RevocationFeed } from './feed.js'
import type { SlidingWindowLimiter } from './rate-limit.js'
import type { UsageBuffer } from './usage-buffer.js'
import type { WriteQueue } from './write-queue.js'

/** Where a request came from, as recorded in the audit log and last-used columns. */
export interface RequestMeta {
  readonly ip: string | null
  readonly userAgent: string | null
}

/** Everything a route needs, built once by `createApp`. */
export interface ServiceContext {
  readonly store: Store
  readonly ring: KeyRing
  readonly config: ServiceConfig
  readonly logger: Logger
  readonly clock: Clock
  readonly registry: CaveatRegistry
  readonly feed: RevocationFeed
  readonly usage: UsageBuffer
  /** Group commit: request writes share one transaction (and one fsync) per turn of the loop. */
  readonly writes: WriteQueue
  readonly limits: {
    /** Failed logins per email, from any address: ten times the per-address budget (a slower, global backoff). */
    readonly loginEmail: SlidingWindowLimiter
    /** Failed logins per (email, client IP). */
    readonly loginEmailIp: SlidingWindowLimiter
    /** Failed logins per client IP. */
    readonly loginIp: SlidingWindowLimiter
    /** Registrations per client IP. */
    readonly register: SlidingWindowLimiter
    /** `POST /v1/revocations` per client IP (public route: keeps the feed small). */
    readonly revokeIp: SlidingWindowLimiter
    /** `POST /v1/revocations` per token id. */
    readonly revokeToken: SlidingWindowLimiter
    /** Device authorizations started per client IP (public route: keeps the table small). */
    readonly deviceStart: SlidingWindowLimiter
    /** Unknown user codes entered per user (deliberate lookup or decision): no guessing other people's codes. */
    readonly deviceCode: SlidingWindowLimiter
    /**
     * Unknown user codes looked up per user through the session cookie without the page's CSRF proof
     * (which a page elsewhere can cause): a separate, larger budget, so such GETs never lock approvals out.
     */
    readonly deviceLookup: SlidingWindowLimiter
  }
  /** Middleware: verifies the request's token and puts an {@link AuthContext} in `res.locals`. */
  readonly authenticate: RequestHandler
  /**
   * Like `authenticate`, for the routes verifiers call (the feed, `POST /v1/verify`, `POST /v1/usage`):
   * a token with `ops = verify` is admitted there too, and nowhere else.
   */
  readonly authenticateVerifier: RequestHandler
}

/**
 * The client address of a request (`req.ip`, so `CRUMB_TRUST_PROXY` applies), IPv4-mapped IPv6
 * written as plain IPv4.
 *
 * @example
 * clientIp(req) // '203.0.113.7'
 */
export function clientIp(req: Request): string | undefined {
  return normalizeIp(req.ip)
}

/**
 * Whether this request rode on the dashboard session cookie without proving it comes from a
 * dashboard page (the `sessionBridge` marks safe-method requests it lets through unchecked).
 *
 * @example
 * const limiter = isUnprovenCookieRequest(res) ? ctx.limits.deviceLookup : ctx.limits.deviceCode
 */
export function isUnprovenCookieRequest(res: Response): boolean {
  return res.locals.unprovenCookie === true
}

/** The client address and user agent of a request (user agent capped at 512 characters). */
export function requestMeta(req: Request): RequestMeta {
  const ua = req.get('user-agent')
  return { ip: clientIp(req) ?? null, userAgent: ua === undefined ? null : ua.slice(0, 512) }
}
