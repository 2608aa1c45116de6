import { randomBytes } from 'node:crypto'
import { formatDuration } from '../../duration.js'
import { CrumbError } from '../../errors.js'
import type { TrustPolicyRecord } from '../../store/index.js'
import { type AuthContext, requireUnrestricted } from '../authenticate.js'
import type { Actor, Service } from '../context.js'
import { mintKeyIn, revokeKeyIn, validateCaveats } from '../keys.js'
import type { TrustPolicyInput } from './trust-policy.js'

/**
 * Trust policies as the API offers them (DESIGN.md, "Workload identity"): create (an unrestricted
 * caller; mints the policy's `workload` key, whose caveats are the policy's), list, delete (revokes
 * the key, so every token exchanged under the policy dies with it).
 */

/** A trust policy as the API shows it (snake_case JSON). */
export interface TrustPolicyJson {
  id: string
  name: string
  issuer: string
  audience: string
  conditions: Record<string, string>
  caveats: string[]
  ttl: string
  key_id: string
  created_at: string
  last_exchanged_at: string | null
}

/**
 * The API's JSON of a policy.
 *
 * @example
 * res.status(201).json({ policy: trustPolicyJson(policy) })
 */
export function trustPolicyJson(policy: TrustPolicyRecord): TrustPolicyJson {
  return {
    id: policy.id,
    name: policy.name,
    issuer: policy.issuer,
    audience: policy.audience,
    conditions: { ...policy.conditions },
    caveats: [...policy.caveats],
    ttl: formatDuration(policy.ttlMs),
    key_id: policy.keyId,
    created_at: policy.createdAt,
    last_exchanged_at: policy.lastExchangedAt,
  }
}

/** A new policy id: `tp_` + 128 random bits, base64url. */
function newPolicyId(): string {
  return `tp_${randomBytes(16).toString('base64url')}`
}

/**
 * `POST /v1/trust-policies`: an unrestricted caller creates a policy; its `workload` key (named
 * `Trusted CI: <name>`, the policy's caveats, the longest key lifetime the service allows) is
 * minted in the same transaction.
 *
 * @example
 * const policy = await createTrustPolicy(svc, auth, input, who)
 */
export async function createTrustPolicy(
  svc: Service,
  caller: AuthContext,
  input: TrustPolicyInput,
  who: Actor,
): Promise<TrustPolicyRecord> {
  requireUnrestricted(caller)
  validateCaveats(svc, input.caveats)
  return svc.store.transaction(async (tx) => {
    const { key } = await mintKeyIn(svc, tx, {
      user: caller.user,
      name: `Trusted CI: ${input.name}`.slice(0, 100),
      source: 'workload',
      caveats: input.caveats,
      ttlMs: svc.config.tokenMaxTtlMs,
      who,
    })
    return tx.trustPolicies.insert({
      id: newPolicyId(),
      userId: caller.user.id,
      keyId: key.id,
      name: input.name,
      issuer: input.issuer,
      audience: input.audience,
      conditions: input.conditions,
      caveats: input.caveats,
      ttlMs: input.ttlMs,
      createdAt: svc.clock.now(),
    })
  })
}

/**
 * A user's policies, oldest first.
 *
 * @example
 * const policies = await listTrustPolicies(svc, user.id)
 */
export function listTrustPolicies(svc: Pick<Service, 'store'>, userId: string): Promise<TrustPolicyRecord[]> {
  return svc.store.trustPolicies.listForUser(userId)
}

/**
 * `DELETE /v1/trust-policies/:id`: deletes the caller's policy and revokes its key (audited
 * `revoked`, reason `trust policy deleted`), ending every token exchanged under it. Returns the
 * policy as it was. `not_found` for another user's policy.
 *
 * @example
 * const gone = await deleteTrustPolicy(svc, auth, id, who)
 */
export async function deleteTrustPolicy(
  svc: Service,
  caller: AuthContext,
  id: string,
  who: Actor,
): Promise<TrustPolicyRecord> {
  requireUnrestricted(caller)
  const now = svc.clock.now()
  return svc.store.transaction(async (tx) => {
    const policy = await tx.trustPolicies.get(id)
    if (policy === undefined || policy.userId !== caller.user.id) {
      throw new CrumbError('not_found', 'no such trust policy')
    }
    await tx.trustPolicies.delete(id)
    const key = await tx.keys.get(policy.keyId, now)
    if (key !== undefined) {
      await revokeKeyIn(
        svc,
        tx,
        {
          key,
          who,
          event: 'revoked',
          reason: 'trust policy deleted',
          protectLast: false,
          detail: { policy_id: id },
        },
        now,
      )
    }
    return policy
  })
}
