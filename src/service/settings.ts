import type { ScryptCost } from './password.js'

/**
 * The policy the service layer applies: lifetimes, limits, windows. The server's configuration
 * (`CRUMB_*` variables) provides it; tests build it directly.
 */
export interface ServiceSettings {
  /** The URL users reach the service at (token location, device verification URI). */
  readonly publicUrl: string | undefined
  readonly tokenTtlMs: number
  readonly tokenMaxTtlMs: number
  readonly sessionTtlMs: number
  readonly rotationMaxGraceMs: number
  readonly keyCreateLimit: number
  readonly keyCreateWindowMs: number
  /** Password hashing cost (OWASP_SCRYPT unless CRUMB_SCRYPT_N lowers N for tests). */
  readonly scrypt: ScryptCost
  readonly loginLimit: number
  readonly loginWindowMs: number
  readonly registerLimit: number
  readonly deviceStartLimit: number
  /** `POST /v1/revocations` per client IP per minute. */
  readonly revokeIpLimit: number
  /** `POST /v1/revocations` per token id per hour. */
  readonly revokeTokenLimit: number
  /** Attenuated-token entries kept per key before the whole key is revoked instead. */
  readonly revocationPairLimit: number
  readonly unusedKeyTtlMs: number
  readonly revokedRetentionMs: number
  readonly deviceCodeTtlMs: number
  readonly devicePollIntervalS: number
  readonly leewayMs: number
  /** Accept `http://` Client ID Metadata Document URLs on a loopback host (`CRUMB_OAUTH_ALLOW_LOOPBACK_CLIENT_IDS`). */
  readonly oauthAllowLoopbackClientIds: boolean
  /** `POST /oauth/register` (public) per client IP per hour. */
  readonly oauthRegisterLimit: number
  /** `GET /oauth/authorize` requests (each stores a pending request) per client IP per hour. */
  readonly oauthAuthorizeLimit: number
  /** `POST /oauth/token`, `/oauth/revoke` and `/oauth/introspect` per client IP per minute. */
  readonly oauthTokenLimit: number
}
