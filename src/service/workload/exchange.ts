import { formatInstant } from '../../../caveats/lib/instant.js'
import { CrumbError } from '../../errors.js'
import type { TrustPolicyRecord } from '../../store/index.js'
import { mintRootToken } from '../../token/index.js'
import { audit } from '../audit.js'
import type { RequestMeta, Service } from '../context.js'
import { type IdTokenClaims, IdTokenVerifier, peekIssuer } from './id-token.js'
import { firstAdmitting } from './trust-policy.js'

/**
 * `POST /v1/auth/oidc` (DESIGN.md, "Workload identity"): a CI job's OIDC ID token for a crumb
 * token. The token's issuer picks the candidate policies (an issuer no policy names is never
 * fetched from); the JWT is verified against that issuer for the candidates' audiences; the first
 * policy whose conditions all hold wins; the ID token's `jti` is claimed once (atomically, with
 * the audit event `exchanged`); the crumb token derives from the policy's `workload` key: its
 * expiry and caveats, then `expires = now + ttl`.
 */

/** Claims copied into the `exchanged` audit event when present (GitHub's and GitLab's names). */
const AUDITED_CLAIMS = [
  'sub',
  'repository',
  'ref',
  'run_id',
  'run_attempt',
  'workflow',
  'job_workflow_ref',
  'environment',
  'actor',
  'project_path',
  'pipeline_id',
  'job_id',
] as const

/** What {@link exchangeIdToken} takes. */
export interface ExchangeInput {
  readonly idToken: string
  readonly policyId?: string | undefined
}

/** A crumb token exchanged for an ID token. */
export interface Exchanged {
  readonly token: string
  readonly expiresAt: Date
  readonly policyId: string
}

/** Options of the verifier a service uses (the server's configuration). */
export interface WorkloadSettings {
  /** `CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS=true`. */
  readonly allowLoopbackIssuers: boolean
}

const verifiers = new WeakMap<object, IdTokenVerifier>()

/**
 * The service's ID-token verifier (one per service: its key caches are shared by requests).
 *
 * @example
 * const verifier = idTokenVerifierOf(svc, { allowLoopbackIssuers: false })
 */
export function idTokenVerifierOf(
  svc: Pick<Service, 'clock' | 'config'>,
  settings: WorkloadSettings,
): IdTokenVerifier {
  let verifier = verifiers.get(svc)
  if (verifier === undefined) {
    verifier = new IdTokenVerifier({
      allowLoopbackIssuers: settings.allowLoopbackIssuers,
      clockToleranceSeconds: Math.max(1, Math.round(svc.config.leewayMs / 1000)),
      now: () => svc.clock.now().getTime(),
    })
    verifiers.set(svc, verifier)
  }
  return verifier
}

function noPolicy(detail: string): CrumbError {
  return new CrumbError('no_matching_policy', detail)
}

/** The audited claims that the token carries, as short strings. */
function auditedClaims(claims: IdTokenClaims): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of AUDITED_CLAIMS) {
    const value = claims[name]
    if (typeof value === 'string' || typeof value === 'number') out[name] = String(value).slice(0, 256)
  }
  return out
}

/**
 * Exchanges an ID token; throws `invalid_token` (bad JWT, issuer unusable, replayed `jti`) or
 * `no_matching_policy`.
 *
 * @example
 * const { token, expiresAt, policyId } = await exchangeIdToken(svc, settings, { idToken }, meta)
 */
export async function exchangeIdToken(
  svc: Service,
  settings: WorkloadSettings,
  input: ExchangeInput,
  meta: RequestMeta,
): Promise<Exchanged> {
  const issuer = peekIssuer(input.idToken)
  let candidates: TrustPolicyRecord[]
  if (input.policyId !== undefined) {
    const policy = await svc.store.trustPolicies.get(input.policyId)
    candidates = policy !== undefined && policy.issuer === issuer ? [policy] : []
  } else {
    candidates = await svc.store.trustPolicies.listByIssuer(issuer)
  }
  if (candidates.length === 0) throw noPolicy('no trust policy names this issuer')
  const audiences = [...new Set(candidates.map((p) => p.audience))]
  const claims = await idTokenVerifierOf(svc, settings).verify(input.idToken, { issuer, audience: audiences })
  const policy = firstAdmitting(candidates, claims)
  if (policy === undefined) throw noPolicy("the ID token's claims meet no trust policy's conditions")

  const now = svc.clock.now()
  const key = await svc.store.keys.get(policy.keyId, now)
  if (key === undefined || key.status !== 'active')
    throw noPolicy("the trust policy's key is no longer active")
  const expiresMs = Math.min(
    Math.floor((now.getTime() + policy.ttlMs) / 1000) * 1000,
    new Date(key.expiresAt).getTime(),
  )
  // The key's expiry first, as its root token has it, then the key's caveats, then the short expiry:
  // one caveat more than the root, so the service never takes it for the (unrestricted) root.
  let minted: ReturnType<typeof mintRootToken>
  try {
    minted = mintRootToken({
      ring: svc.ring,
      kid: key.kid,
      tokenId: key.id,
      userId: key.userId,
      caveats: [
        `expires = ${formatInstant(new Date(key.expiresAt).getTime())}`,
        ...key.caveats,
        `expires = ${formatInstant(expiresMs)}`,
      ],
      ...(svc.config.publicUrl === undefined ? {} : { location: svc.config.publicUrl }),
    })
  } catch (cause) {
    throw new CrumbError('no_matching_policy', "the trust policy's key can no longer sign", { cause })
  }
  const leewayMs = svc.config.leewayMs
  await svc.store.transaction(async (tx) => {
    await tx.trustPolicies.pruneJtis(now)
    const first = await tx.trustPolicies.claimJti({
      issuer,
      jti: claims.jti,
      policyId: policy.id,
      exchangedAt: now,
      expiresAt: new Date(claims.exp * 1000 + leewayMs + 60_000),
    })
    if (!first) throw new CrumbError('invalid_token', 'this ID token was already exchanged')
    await tx.trustPolicies.markExchanged(policy.id, now)
    await audit(
      svc,
      tx,
      { actor: `workload:${claims.sub ?? issuer}`.slice(0, 300), meta },
      'exchanged',
      policy.userId,
      policy.keyId,
      {
        policy_id: policy.id,
        issuer,
        ...auditedClaims(claims),
        expires_at: new Date(expiresMs).toISOString(),
      },
    )
  })
  svc.usage.record({ tokenId: key.id, at: now, ip: meta.ip, userAgent: meta.userAgent })
  return { token: minted.token, expiresAt: new Date(expiresMs), policyId: policy.id }
}
