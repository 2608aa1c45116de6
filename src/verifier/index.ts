/**
 * `crumb/express` — the verifier middleware for services. Verify crumb tokens locally with the key
 * ring (or remotely through the token service), keep a revocation list current with one long-poll
 * loop per process, report last use, and guard routes by op / org / app.
 *
 * @example
 * import express from 'express'
 * import * as crumb from 'crumb/express'
 *
 * const app = express()
 * const auth = crumb.verifier({ keys: process.env.CRUMB_KEYRING, server: process.env.CRUMB_SERVER,
 *   serviceToken: process.env.CRUMB_SERVICE_TOKEN, maxStaleness: '5m' })
 * app.use(auth)
 * app.post('/orgs/:org/apps/:app/deploys',
 *   crumb.require({ op: 'deploy', org: (req) => req.params.org, app: (req) => req.params.app }),
 *   (req, res) => res.status(201).json({ by: req.crumb?.userId }))
 */
export { type DurationBounds, durationSchema, parseDuration } from '../duration.js'
export { CrumbError, type ErrorCode, isCrumbError } from '../errors.js'
export { type KeyRingSource, readKeyRing, staticKeyRing, watchedKeyRing } from '../token/keyring-source.js'
export { type CrumbAuth, crumbOf } from './claims.js'
export { deviceOf, extractToken, normalizeIp } from './extract.js'
export { LocalVerifier, type LocalVerifierOptions } from './local.js'
export { type Verifier, type VerifierStatus, verifier } from './middleware.js'
export {
  type FetchLike,
  parseVerifierOptions,
  type ResolvedVerifierOptions,
  type VerifierLogger,
  type VerifierOptions,
} from './options.js'
export {
  bearerChallenge,
  PROBLEM_TYPE_PREFIX,
  type ProblemDetails,
  problemOf,
  sendProblem,
} from './problem.js'
export {
  PROTECTED_RESOURCE_WELL_KNOWN,
  type ProtectedResource,
  type ProtectedResourceMetadata,
  type ProtectedResourceOptions,
  protectedResource,
} from './protected-resource.js'
export { RemoteVerifier, type RemoteVerifierOptions } from './remote.js'
export { type RequireOptions, requireScope as require, requireScope, type ScopeValue } from './require.js'
export {
  acquireRevocationSync,
  type FeedUpdate,
  RevocationSync,
  type RevocationSyncOptions,
} from './revocation-sync.js'
export { type UsageReport, UsageReporter, type UsageReporterOptions } from './usage.js'
