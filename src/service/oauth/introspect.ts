import { verifyToken } from '../../token/index.js'
import type { Service } from '../context.js'
import { isSecretOf, secretHash } from './secrets.js'

/** The RFC 7662 §2.2 answer: `{active: false}`, or what the token is. */
export type Introspection =
  | { readonly active: false }
  | {
      readonly active: true
      readonly token_type: 'Bearer' | 'refresh_token'
      readonly scope?: string
      readonly client_id?: string
      /** The user the token acts for. */
      readonly sub: string
      /** The grant's (key's) id. */
      readonly jti: string
      readonly aud?: string
      readonly iss: string
      readonly exp: number
    }

const INACTIVE = { active: false } as const
const AUD = /^aud = (.+)$/
const seconds = (iso: string | Date): number => Math.floor(new Date(iso).getTime() / 1000)

/**
 * `POST /oauth/introspect` (RFC 7662): whether a token is active now and what it is. An access
 * token (any crumb token) is active when its signature holds, it is unexpired, not revoked and its
 * key is active — the checks every verifier makes, except those that depend on a request (org,
 * app, op, device, ip, audience). A refresh token is active while unused, unexpired and its grant
 * active. Anything else is `{active: false}`; nothing more is said about it.
 *
 * @example
 * const answer = await introspectToken(svc, token, 'https://crumb.example') // { active: true, scope: 'read org:acme', … }
 */
export async function introspectToken(
  svc: Pick<Service, 'store' | 'ring' | 'feed' | 'clock' | 'config'>,
  token: string,
  issuer: string,
): Promise<Introspection> {
  const now = svc.clock.now()
  if (isSecretOf('refreshToken', token)) {
    const rec = await svc.store.oauth.findRefreshToken(secretHash(token))
    if (rec === undefined || rec.usedAt !== null || rec.expiresAt <= now.toISOString()) return INACTIVE
    const key = await svc.store.keys.get(rec.keyId, now)
    const grant = await svc.store.oauth.getGrant(rec.keyId)
    if (key?.status !== 'active' || grant === undefined) return INACTIVE
    return {
      active: true,
      token_type: 'refresh_token',
      scope: grant.scope,
      client_id: grant.clientId,
      sub: key.userId,
      jti: key.id,
      aud: grant.resource,
      iss: issuer,
      exp: seconds(rec.expiresAt),
    }
  }
  await svc.feed.sync()
  let claims: ReturnType<typeof verifyToken>
  try {
    claims = verifyToken(token, {
      keys: svc.ring,
      revocations: svc.feed.list,
      now,
      leewayMs: 0,
      deferred: new Set(['org', 'app', 'op', 'device', 'ip', 'aud']),
      cache: false,
    })
  } catch {
    return INACTIVE
  }
  const key = await svc.store.keys.get(claims.tokenId, now)
  if (key === undefined || key.status !== 'active' || key.userId !== claims.userId) return INACTIVE
  if (key.revokeAfter !== null && key.revokeAfter <= now.toISOString()) return INACTIVE
  const grant = key.source === 'oauth' ? await svc.store.oauth.getGrant(key.id) : undefined
  const aud = claims.caveats.map((c) => AUD.exec(c)?.[1]).find((a) => a !== undefined)
  const exp = claims.expiresAt ?? new Date(key.expiresAt)
  return {
    active: true,
    token_type: 'Bearer',
    ...(grant === undefined ? {} : { scope: grant.scope, client_id: grant.clientId }),
    sub: key.userId,
    jti: key.id,
    ...(aud === undefined ? {} : { aud }),
    iss: issuer,
    exp: seconds(exp),
  }
}
