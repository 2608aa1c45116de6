import { CrumbError } from '../errors.js'
import type { KeyRecord, UserRecord } from '../store/index.js'
import { decodeTokenList, type TokenClaims, verifyToken } from '../token/index.js'
import type { Service } from './context.js'

/** Who is calling, established by {@link authenticateToken}. Holds no token. */
export interface AuthContext {
  readonly claims: TokenClaims
  readonly key: KeyRecord
  readonly user: UserRecord
  /**
   * True when the presented token is the key's root token itself (not an attenuation of it, and
   * without discharges).
   */
  readonly isRoot: boolean
}

/** What the request declares, for caveat checks. */
export interface RequestFacts {
  ip?: string
  device?: string
  op?: string
  org?: string
  app?: string
}

/**
 * Is `token` the root token of `key`? Root tokens carry exactly the caveats the service minted
 * (an `expires` plus the key's own); attenuation only appends, and a token with a valid signature
 * and the root's caveat count can only be the root itself.
 */
function isRootToken(token: string | readonly string[], key: Pick<KeyRecord, 'caveats'>): boolean {
  const [primary, ...discharges] = decodeTokenList(token)
  return discharges.length === 0 && primary.caveats.length === key.caveats.length + 1
}

/**
 * Verifies a token as the service's own API sees it and checks the key row behind it (revoked,
 * rotation grace ended, unknown user). Throws the CrumbError a verifier would.
 *
 * @example
 * const auth = await authenticateToken(svc, token, { ip: '127.0.0.1', op: 'read' })
 */
export async function authenticateToken(
  svc: Pick<Service, 'store' | 'ring' | 'feed' | 'clock' | 'config'>,
  token: string | readonly string[],
  request: RequestFacts,
  options: { deferred?: ReadonlySet<'org' | 'app' | 'op'> } = {},
): Promise<AuthContext> {
  await svc.feed.sync()
  const now = svc.clock.now()
  const claims = verifyToken(token, {
    keys: svc.ring,
    revocations: svc.feed.list,
    request,
    now,
    leewayMs: svc.config.leewayMs,
    ...(options.deferred === undefined ? {} : { deferred: options.deferred }),
  })
  const key = await svc.store.keys.get(claims.tokenId, now)
  if (key === undefined || key.userId !== claims.userId) throw new CrumbError('invalid_token', 'unknown key')
  if (key.revokedAt !== null) throw new CrumbError('token_revoked', 'token has been revoked')
  // a rotated key whose grace period has ended is dead now, not when the periodic job gets to it
  if (key.revokeAfter !== null && new Date(key.revokeAfter).getTime() <= now.getTime()) {
    throw new CrumbError('token_revoked', 'token has been revoked (rotation grace period ended)')
  }
  const user = await svc.store.users.get(key.userId)
  if (user === undefined) throw new CrumbError('invalid_token', 'unknown user')
  return { claims, key, user, isRoot: isRootToken(token, key) }
}

/**
 * Minting keys (create, rotate, approving a device) needs an unrestricted caller: the root token
 * of a key created without caveats. Otherwise an attenuated or restricted token could mint itself
 * a broader one.
 *
 * @example
 * requireUnrestricted(auth)
 */
export function requireUnrestricted(auth: AuthContext): void {
  if (!auth.isRoot || auth.key.caveats.length > 0) {
    throw new CrumbError('insufficient_scope', 'minting keys needs an unrestricted, unattenuated key')
  }
}
