import type { Instant } from './time.js'

/**
 * Trust policies and exchanged ID tokens (DESIGN.md, "Workload identity"): the records of the
 * `TrustPoliciesPort`. Times are ISO 8601 UTC strings.
 */

/** A trust policy: which CI jobs may exchange their OIDC ID token, for tokens of key `keyId`. */
export interface TrustPolicyRecord {
  /** `tp_…` */
  id: string
  /** The owner (who created it; the workload key is theirs). */
  userId: string
  /** The policy's key, of source `workload`: exchanged tokens derive from it. */
  keyId: string
  name: string
  issuer: string
  audience: string
  /** Claim name → pattern (exact, or `*` within the claim). */
  conditions: Record<string, string>
  /** The caveats of the tokens it mints (also the key's). */
  caveats: string[]
  /** Lifetime of an exchanged token. */
  ttlMs: number
  createdAt: string
  lastExchangedAt: string | null
}

/** What `TrustPoliciesPort.insert` takes. */
export interface NewTrustPolicy
  extends Pick<TrustPolicyRecord, 'id' | 'userId' | 'keyId' | 'name' | 'issuer' | 'audience' | 'ttlMs'> {
  conditions: Readonly<Record<string, string>>
  caveats: readonly string[]
  createdAt: Instant
}

/** One exchanged ID token, kept until it has expired so it cannot be exchanged twice. */
export interface ExchangedJti {
  issuer: string
  jti: string
  policyId: string
  exchangedAt: Instant
  /** When the ID token expires (plus the clock leeway): the row is pruned after it. */
  expiresAt: Instant
}
