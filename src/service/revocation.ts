import { CrumbError, RateLimited } from '../errors.js'
import {
  decodeIdentifier,
  decodeTokenList,
  inspectToken,
  revocationIdOf,
  rootKeyFor,
} from '../token/index.js'
import { audit } from './audit.js'
import type { Actor, RequestMeta, Service } from './context.js'
import type { SlidingWindowLimiter } from './limiter.js'

/** What {@link revokeByToken} revoked: the root token, or one attenuated token (and its descendants). */
export interface RevokedByToken {
  readonly tokenId: string
  readonly revocationId?: string
}

/** Counts a hit against `key`, or refuses (`rate_limited`) when its window is full. */
function limit(limiter: SlidingWindowLimiter, key: string, message: string): void {
  const wait = limiter.retryAfterMs(key)
  if (wait > 0) throw new RateLimited(message, wait / 1000)
  limiter.hit(key)
}

/**
 * Counts a revocation request against its client address, or refuses it (`rate_limited`): the
 * route is public and it writes what every verifier downloads. Checked before the body is read.
 *
 * @example
 * limitRevocationsFrom(svc, meta)
 */
export function limitRevocationsFrom(svc: Pick<Service, 'limits'>, meta: RequestMeta): void {
  limit(svc.limits.revokeIp, `ip:${meta.ip ?? '?'}`, 'too many revocations from this address')
}

/** What {@link revokeByToken} takes besides the token. */
export interface RevokeByTokenOptions {
  /** `logout`: the holder is signing this device out (audited as the key's user). */
  readonly reason?: 'logout' | undefined
}

/**
 * `POST /v1/revocations`: anyone holding a token may revoke it — possession is the proof. The
 * signature must verify (caveats, expiry included, do not matter). A root token revokes the key
 * (audited `revoked`); an attenuated one adds a (token id, revocation id) entry, unless the key
 * already has `revocationPairLimit` of those: then the whole key is revoked, so the list every
 * verifier holds stays small. Limited per token id. Idempotent.
 *
 * @example
 * const revoked = await revokeByToken(svc, 'crumb_…', meta) // { tokenId: 'tok_…' }
 */
export async function revokeByToken(
  svc: Service,
  token: string,
  meta: RequestMeta,
  options: RevokeByTokenOptions = {},
): Promise<RevokedByToken> {
  const [primary, ...discharges] = decodeTokenList(token)
  const id = decodeIdentifier(primary.identifierText)
  primary.verify(rootKeyFor(svc.ring, id.kid, primary.identifier), () => true, discharges)
  limit(svc.limits.revokeToken, id.tokenId, 'too many revocations for this key')
  const now = svc.clock.now()
  const who: Actor = { actor: 'token-holder', meta }
  return svc.store.transaction(async (tx): Promise<RevokedByToken> => {
    const key = await tx.keys.get(id.tokenId, now)
    if (key !== undefined && key.userId !== id.userId) throw new CrumbError('invalid_token', 'unknown key')
    const isRoot = key === undefined || primary.caveats.length === key.caveats.length + 1
    if (isRoot) {
      const expiresAt =
        key?.expiresAt ??
        inspectToken(token, { now }).scope.expiresAt ??
        new Date(now.getTime() + svc.config.tokenMaxTtlMs)
      const logout = options.reason === 'logout' && key !== undefined
      const reason = logout ? 'logout' : 'revoked by token holder'
      // the entry is added whether or not the key row was still active: both go out together
      // (one round trip on PostgreSQL)
      const [revokedNow] = await Promise.all([
        key !== undefined && tx.keys.revoke(key.id, now, reason),
        tx.revocations.add({ tokenId: id.tokenId, expiresAt, createdAt: now }),
      ])
      if (key !== undefined && revokedNow) {
        // a logout presents the root token, which only its user holds: audit it as them
        const user = logout ? await tx.users.get(key.userId) : undefined
        const actor = user === undefined ? who : { ...who, actor: user.email }
        await audit(svc, tx, actor, 'revoked', key.userId, key.id, { reason })
      }
      return { tokenId: id.tokenId }
    }
    const revocationId = revocationIdOf(primary.signature)
    const limit = svc.config.revocationPairLimit
    // counted up to the limit only: the cost of this check does not grow with the entries
    const pairs = await tx.revocations.countPairs(id.tokenId, limit)
    if (pairs >= limit && !(await tx.revocations.has(id.tokenId, revocationId))) {
      // the list every verifier holds stays bounded: one entry for the whole key instead
      const reason = `too many attenuated tokens revoked (${pairs + 1}): the whole key is revoked`
      if (await tx.keys.revoke(key.id, now, reason)) {
        await audit(svc, tx, who, 'revoked', key.userId, key.id, {
          reason,
          attenuated_revocations: pairs + 1,
        })
      }
      await tx.revocations.add({ tokenId: id.tokenId, expiresAt: key.expiresAt, createdAt: now })
      return { tokenId: id.tokenId }
    }
    const added = await tx.revocations.add({
      tokenId: id.tokenId,
      revocationId,
      expiresAt: key.expiresAt,
      createdAt: now,
    })
    if (added.inserted) {
      // the key itself stays active: say so, so the audit does not read as the key revoked
      await audit(svc, tx, who, 'revoked', key.userId, key.id, {
        attenuated: true,
        key_still_active: key.status === 'active',
        revocation_id: revocationId,
      })
    }
    return { tokenId: id.tokenId, revocationId }
  })
}
