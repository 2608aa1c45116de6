import type { Logger } from 'pino'
import { type CaveatRegistry, defaultRegistry } from '../../caveats/index.js'
import type { Store } from '../store/index.js'
import type { KeyRing } from '../token/index.js'
import { type KeyRingSource, staticKeyRing } from '../token/keyring-source.js'
import { type Clock, systemClock } from './clock.js'
import type { Service } from './context.js'
import { RevocationFeed } from './feed.js'
import { SlidingWindowLimiter } from './limiter.js'
import type { ServiceSettings } from './settings.js'
import { UsageBuffer } from './usage.js'
import { VerifierKeyCache } from './verifier-keys.js'

/**
 * The token service's behaviour with no HTTP and no SQL in it: keys, credentials, sessions, the
 * device flow, revocation and its feed, authentication, usage, jobs, audit. Inputs are plain values
 * (an actor is a value, not a request); failures are CrumbError codes; persistence is the store port.
 */
export * from './audit.js'
export * from './authenticate.js'
export * from './clock.js'
export * from './context.js'
export * from './credentials.js'
export * from './device.js'
export * from './feed.js'
export * from './jobs.js'
export * from './key-json.js'
export * from './keys.js'
export * from './limiter.js'
export * from './oauth/index.js'
export * from './revocation.js'
export * from './sessions.js'
export * from './settings.js'
export * from './usage.js'
export * from './validate.js'
export * from './workload/exchange.js'
export { MAX_ID_TOKEN_LENGTH } from './workload/id-token.js'
export * from './workload/policies.js'
export { type TrustPolicyInput, trustPolicyInputSchema } from './workload/trust-policy.js'

/** What {@link createService} needs. */
export interface ServiceDeps<C extends ServiceSettings = ServiceSettings> {
  readonly store: Store
  /** The ring, or a source of it (a watched file: a rotation applies without a restart). */
  readonly ring: KeyRing | KeyRingSource
  readonly config: C
  readonly logger: Logger
  readonly clock?: Clock
  readonly registry?: CaveatRegistry
}

/**
 * Builds the service over a store: the feed (watching the store), the usage buffer and the
 * in-memory limits. Starts no timers.
 *
 * @example
 * const svc = createService({ store, ring, config, logger })
 * const { token } = await cliLogin(svc, { email, password, device: 'laptop' }, meta)
 */
export function createService<C extends ServiceSettings>(
  deps: ServiceDeps<C>,
): Service & { readonly config: C } {
  const clock = deps.clock ?? systemClock
  const { store, config, logger } = deps
  const keys = 'current' in deps.ring ? deps.ring : staticKeyRing(deps.ring)
  const limiter = (limit: number, windowMs: number): SlidingWindowLimiter =>
    new SlidingWindowLimiter({ limit, windowMs, clock })
  return {
    store,
    get ring() {
      return keys.current
    },
    config,
    logger,
    clock,
    registry: deps.registry ?? defaultRegistry(),
    feed: new RevocationFeed(store, clock, logger, () => keys.current),
    verifierKeys: new VerifierKeyCache(),
    usage: new UsageBuffer(store, logger),
    limits: {
      loginEmail: limiter(config.loginLimit * 10, config.loginWindowMs),
      loginEmailIp: limiter(config.loginLimit, config.loginWindowMs),
      loginIp: limiter(config.loginLimit, config.loginWindowMs),
      register: limiter(config.registerLimit, 3_600_000),
      revokeIp: limiter(config.revokeIpLimit, 60_000),
      revokeToken: limiter(config.revokeTokenLimit, 3_600_000),
      deviceStart: limiter(config.deviceStartLimit, 3_600_000),
      deviceCode: limiter(config.loginLimit, config.loginWindowMs),
      deviceLookup: limiter(config.loginLimit * 10, config.loginWindowMs),
      oauthRegister: limiter(config.oauthRegisterLimit, 3_600_000),
      oauthAuthorize: limiter(config.oauthAuthorizeLimit, 3_600_000),
      oauthToken: limiter(config.oauthTokenLimit, 60_000),
    },
  }
}
