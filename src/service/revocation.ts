import { CrumbError } from '../errors.js'
import {
  decodeIdentifier,
  decodeTokenList,
  inspectToken,
  revocationIdOf,
  rootKeyFor,
} from '../token/index.js'
import { audit } from './audit.js'
import type { Actor, RequestMeta, Service } from './context.js'

/** What {@link revokeByToken} revoked: the root token, or one attenuated token (and its descendants). */
export interface RevokedByToken {
  readonly tokenId: string
  readonly revocationId?: string
}

/**
 * `POST /v1/revocations`: anyone holding a token may revoke it — possession is the proof. The
 * signature must verify (caveats, expiry included, do not matter). A root token revokes the key
 * (audited `revoked`); an attenuated one adds a (token id, revocation id) entry. Idempotent.
 *
 * @example
 * const revoked = await revokeByToken(svc, 'crumb_…', meta) // { tokenId: 'tok_…' }
 */
export async function revokeByToken(svc: Service, token: string, meta: RequestMeta): Promise<RevokedByToken> {
  const [primary, ...discharges] = decodeTokenList(token)
  const id = decodeIdentifier(primary.identifierText)
  primary.verify(rootKeyFor(svc.ring, id.kid, primary.identifier), () => true, discharges)
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
      await tx.revocations.add({ tokenId: id.tokenId, expiresAt, createdAt: now })
      if (key !== undefined && (await tx.keys.revoke(key.id, now, 'revoked by token holder'))) {
        await audit(svc, tx, who, 'revoked', key.userId, key.id, { reason: 'revoked by token holder' })
      }
      return { tokenId: id.tokenId }
    }
    const revocationId = revocationIdOf(primary.signature)
    const added = await tx.revocations.add({
      tokenId: id.tokenId,
      revocationId,
      expiresAt: key.expiresAt,
      createdAt: now,
    })
    if (added.inserted) {
      await audit(svc, tx, who, 'revoked', key.userId, key.id, {
        attenuated: true,
        revocation_id: revocationId,
      })
    }
    return { tokenId: id.tokenId, revocationId }
  })
}
