import express, { type Express } from 'express'
import helmet from 'helmet'
import type { Logger } from 'pino'
import type { CaveatRegistry } from '../../caveats/index.js'
import { VERIFY_OP } from '../api-fields.js'
import { dashboardRoutes, sessionBridge } from '../dashboard/index.js'
import { createService } from '../service/index.js'
import type { Store } from '../store/index.js'
import type { KeyRing } from '../token/index.js'
import type { KeyRingSource } from '../token/keyring-source.js'
import { createAuthenticate } from './auth.js'
import type { Clock } from './clock.js'
import type { ServiceConfig } from './config.js'
import type { ServiceContext } from './context.js'
import { methodNotAllowed, oauthErrorHandler } from './oauth/request.js'
import { bodyLimit, errorHandler, notFoundHandler } from './problem.js'
import { requestLog } from './request-log.js'
import { auditRoutes } from './routes/audit.js'
import { deviceRoutes } from './routes/auth-device.js'
import { loginRoutes } from './routes/auth-login.js'
import { oidcRoutes } from './routes/auth-oidc.js'
import { healthRoutes } from './routes/health.js'
import { oauthIntrospectRoutes } from './routes/oauth-introspect.js'
import { OAUTH_ENDPOINTS, oauthMetadataRoutes } from './routes/oauth-metadata.js'
import { oauthRegisterRoutes } from './routes/oauth-register.js'
import { oauthRevokeRoutes } from './routes/oauth-revoke.js'
import { oauthTokenRoutes } from './routes/oauth-token.js'
import { openApiRoutes } from './routes/openapi.js'
import { revocationsRoutes } from './routes/revocations.js'
import { sessionsRoutes } from './routes/sessions.js'
import { tokensRoutes } from './routes/tokens.js'
import { trustPoliciesRoutes } from './routes/trust-policies.js'
import { usageRoutes } from './routes/usage.js'
import { usersRoutes } from './routes/users.js'
import { verifyRoutes } from './routes/verify.js'
import { whoamiRoutes } from './routes/whoami.js'

/** Largest request body accepted (bytes). */
export const MAX_BODY_BYTES = 16 * 1024

/** What {@link createApp} needs. */
export interface AppDeps {
  readonly store: Store
  /** The ring, or a source of it (`watchedKeyRing`: a rotation or retirement applies without a restart). */
  readonly ring: KeyRing | KeyRingSource
  readonly config: ServiceConfig
  readonly logger: Logger
  readonly clock?: Clock
  readonly registry?: CaveatRegistry
}

/** The Express app plus the service state behind it. */
export type CrumbApp = Express & {
  /** Routes' shared state: the feed, the usage buffer, limits... */
  readonly service: ServiceContext & {
    /** Answers open long-polls and writes pending usage (await it before closing the store). */
    close(): Promise<void>
  }
}

/**
 * Builds the token service's Express app (routes, problem+json errors, request logs). Does not
 * listen and starts no timers; {@link CrumbApp.service} holds the state for `startServer`.
 *
 * @example
 * const app = createApp({ store: openStore(':memory:'), ring: generateKeyRing(), config: loadConfig({}), logger })
 * await request(app).get('/healthz').expect(200)
 */
export function createApp(deps: AppDeps): CrumbApp {
  const { config, logger } = deps
  const svc = createService(deps)
  // copy the descriptors, not the values: `ring` is a getter (a watched ring may change)
  const ctx = Object.defineProperties(
    {},
    {
      ...Object.getOwnPropertyDescriptors(svc),
      authenticate: { value: createAuthenticate(svc), enumerable: true },
      authenticateVerifier: { value: createAuthenticate(svc, { alsoOps: [VERIFY_OP] }), enumerable: true },
    },
  ) as ServiceContext

  const app = express()
  app.disable('x-powered-by')
  // the dashboard's cookies are Secure (and __Host-) when the public URL is https
  app.locals.publicUrl = config.publicUrl
  app.set('trust proxy', config.trustProxy)
  app.use(requestLog(logger))
  app.use(
    helmet({
      // plain HTTP on localhost is the default deployment: no HSTS or upgrade unless served over https
      strictTransportSecurity: config.publicUrl?.startsWith('https:') === true,
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    }),
  )
  app.use(bodyLimit(MAX_BODY_BYTES))
  app.use(express.json({ limit: MAX_BODY_BYTES, type: ['application/json', 'application/*+json'] }))

  // OAuth 2.1 authorization server (#19): RFC 6749 JSON errors at these paths, never problem+json
  app.use(oauthMetadataRoutes(ctx))
  app.use(oauthRegisterRoutes(ctx))
  app.use(oauthTokenRoutes(ctx))
  app.use(oauthRevokeRoutes(ctx))
  app.use(oauthIntrospectRoutes(ctx))
  app.all([...OAUTH_ENDPOINTS], methodNotAllowed)
  app.use([...OAUTH_ENDPOINTS], oauthErrorHandler(logger))

  app.use(healthRoutes(ctx))
  app.use(openApiRoutes(ctx))
  app.use('/v1', sessionBridge(ctx)) // dashboard: session cookie -> Bearer, CSRF-checked
  // the feed first of the /v1 routes: every revocation answers, and brings back, every verifier's
  // long-poll, and each route walked before it is a path match for each of those requests (#17)
  app.use('/v1', revocationsRoutes(ctx))
  app.use('/v1', usersRoutes(ctx))
  app.use('/v1', loginRoutes(ctx))
  app.use('/v1', deviceRoutes(ctx))
  app.use('/v1', sessionsRoutes(ctx))
  app.use('/v1', whoamiRoutes(ctx))
  app.use('/v1', tokensRoutes(ctx))
  app.use('/v1', verifyRoutes(ctx))
  app.use('/v1', usageRoutes(ctx))
  app.use('/v1', auditRoutes(ctx))
  app.use('/v1', trustPoliciesRoutes(ctx))
  app.use('/v1', oidcRoutes(ctx))
  app.use(dashboardRoutes(ctx))
  app.use(notFoundHandler)
  app.use(errorHandler(logger))

  const service = Object.defineProperty(ctx, 'close', {
    value: async (): Promise<void> => {
      ctx.feed.close()
      await ctx.usage.stop()
    },
  }) as CrumbApp['service']
  return Object.assign(app, { service })
}
