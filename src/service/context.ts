import type { Logger } from 'pino'
import type { CaveatRegistry } from '../../caveats/index.js'
import type { Store } from '../store/index.js'
import type { KeyRing } from '../token/index.js'
import type { Clock } from './clock.js'
import type { RevocationFeed } from './feed.js'
import type { SlidingWindowLimiter } from './limiter.js'
import type { ServiceSettings } from './settings.js'
import type { UsageBuffer } from './usage.js'
import type { VerifierKeyCache } from './verifier-keys.js'

/** Everything the service layer's operations need, built once by {@link createService}. */
export interface Service {
  readonly store: Store
  /** The current key ring (read per use: a watched ring may change). */
  readonly ring: KeyRing
  readonly config: ServiceSettings
  readonly logger: Logger
  readonly clock: Clock
  readonly registry: CaveatRegistry
  /** The revocation feed and the in-memory list the service verifies its own API against. */
  readonly feed: RevocationFeed
  /** Key rows of the verifier routes' tokens, reused for a moment (#17). */
  readonly verifierKeys: VerifierKeyCache
  /** Last-use times seen by the service, written in batches. */
  readonly usage: UsageBuffer
  readonly limits: {
    /** Failed logins per email, from any address: ten times the per-address budget (a slower, global backoff). */
    readonly loginEmail: SlidingWindowLimiter
    /** Failed logins per (email, client IP). */
    readonly loginEmailIp: SlidingWindowLimiter
    /** Failed logins per client IP. */
    readonly loginIp: SlidingWindowLimiter
    /** Registrations per client IP. */
    readonly register: SlidingWindowLimiter
    /** `POST /v1/revocations` per client IP (public: keeps the feed small). */
    readonly revokeIp: SlidingWindowLimiter
    /** `POST /v1/revocations` per token id. */
    readonly revokeToken: SlidingWindowLimiter
    /** Device authorizations started per client IP (public: keeps the table small). */
    readonly deviceStart: SlidingWindowLimiter
    /** Unknown user codes entered per user (deliberate lookup or decision): no guessing other people's codes. */
    readonly deviceCode: SlidingWindowLimiter
    /**
     * Unknown user codes looked up per user through the session cookie without the page's CSRF proof
     * (which a page elsewhere can cause): a separate, larger budget, so such GETs never lock approvals out.
     */
    readonly deviceLookup: SlidingWindowLimiter
    /** `POST /oauth/register` per client IP (public: keeps the clients table small). */
    readonly oauthRegister: SlidingWindowLimiter
    /** `GET /oauth/authorize` per client IP (each stores a pending request). */
    readonly oauthAuthorize: SlidingWindowLimiter
    /** `/oauth/token`, `/oauth/revoke`, `/oauth/introspect` per client IP. */
    readonly oauthToken: SlidingWindowLimiter
  }
}

/** Where a call came from, as the audit log and last-used columns record it. */
export interface RequestMeta {
  readonly ip: string | null
  readonly userAgent: string | null
}

/** Who acts, for the audit log: a user (by email) or `system`, the key presented, where from. */
export interface Actor {
  readonly actor: string
  readonly viaKey?: string
  readonly meta: RequestMeta
}

/** The background jobs' actor. */
export const SYSTEM: Actor = { actor: 'system', meta: { ip: null, userAgent: null } }

/**
 * The actor for a user acting with `viaKey` (the key they presented, if any).
 *
 * @example
 * const who = actorFor(auth.user, meta, auth.key.id)
 */
export function actorFor(user: { readonly email: string }, meta: RequestMeta, viaKey?: string): Actor {
  return { actor: user.email, meta, ...(viaKey === undefined ? {} : { viaKey }) }
}
