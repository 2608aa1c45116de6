import { formatInstant } from '../../../caveats/lib/instant.js'
import { CrumbError } from '../../errors.js'
import type { KeyRecord, OAuthGrantRecord, RefreshTokenRecord, Transaction } from '../../store/index.js'
import { decodeIdentifier, decodeTokenList, rootKeyFor } from '../../token/index.js'
import type { Actor, RequestMeta, Service } from '../context.js'
import { mintKeyIn, revokeKeyIn } from '../keys.js'
import { ACCESS_TOKEN_TTL_MS, type GrantKey, issueAccessToken } from './access-token.js'
import { canonicalResource } from './authorize.js'
import type { OAuthClient } from './clients.js'
import { OAuthError } from './errors.js'
import { verifyPkceS256 } from './pkce.js'
import { formatScope, isScopeWithin, parseScope, scopeCaveats } from './scope.js'
import { isSecretOf, newSecret, secretHash } from './secrets.js'

/** The token endpoint's answer (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string
  readonly token_type: 'Bearer'
  readonly expires_in: number
  readonly refresh_token: string
  readonly scope: string
}

/** Why a grant was revoked by the authorization server itself (the key's `revoked_reason`). */
export const GRANT_REVOCATION_REASONS = {
  codeReplay: 'oauth: an authorization code was used twice',
  refreshReuse: 'oauth: a used refresh token was presented again',
  revokedByClient: 'oauth: revoked through the revocation endpoint',
} as const

/** The audit actor for what a client's request did. */
function clientActor(clientId: string, meta: RequestMeta): Actor {
  return { actor: `oauth-client:${clientId.slice(0, 200)}`, meta }
}

/** A grant's key as `issueAccessToken` needs it: the root token's caveats as minted, `expires` first. */
function grantKey(key: KeyRecord): GrantKey {
  return {
    tokenId: key.id,
    userId: key.userId,
    kid: key.kid,
    // the grant's key has no `expires` caveat of its own: its expiry is the minted one, whole seconds
    rootCaveats: [`expires = ${formatInstant(new Date(key.expiresAt).getTime())}`, ...key.caveats],
  }
}

/** Revokes a grant's key (and so its access and refresh tokens) in `tx`, for `reason`. */
async function revokeGrantIn(
  svc: Service,
  tx: Transaction,
  keyId: string,
  reason: string,
  who: Actor,
): Promise<void> {
  const now = svc.clock.now()
  const key = await tx.keys.get(keyId, now)
  if (key === undefined || key.source !== 'oauth') return
  await revokeKeyIn(svc, tx, { key, who, event: 'revoked', reason, protectLast: false }, now)
}

/** Issues the access and refresh tokens of a grant in `tx`. */
async function tokensFor(
  svc: Service,
  tx: Transaction,
  key: KeyRecord,
  grant: OAuthGrantRecord,
  now: Date,
  narrower?: string,
): Promise<TokenResponse> {
  const refresh = newSecret('refreshToken')
  await tx.oauth.insertRefreshToken({
    tokenHash: secretHash(refresh),
    keyId: key.id,
    clientId: grant.clientId,
    createdAt: now,
    expiresAt: key.expiresAt,
  })
  let access: ReturnType<typeof issueAccessToken>
  try {
    access = issueAccessToken({
      ring: svc.ring,
      grant: grantKey(key),
      resource: grant.resource,
      now,
      ttlMs: ACCESS_TOKEN_TTL_MS,
      ...(narrower === undefined ? {} : { extraCaveats: scopeCaveats(parseScope(narrower)) }),
    })
  } catch (error) {
    // the grant's ring key was retired: the grant cannot be used any more
    if (error instanceof CrumbError)
      throw new OAuthError('invalid_grant', 'the grant is no longer valid', { cause: error })
    throw error
  }
  return {
    access_token: access.accessToken,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    refresh_token: refresh,
    scope: narrower ?? grant.scope,
  }
}

/** What {@link exchangeAuthorizationCode} takes, as the token request gave it. */
export interface CodeExchange {
  readonly code: string
  readonly codeVerifier: string
  readonly redirectUri: string | undefined
  readonly resource: string | undefined
}

type Outcome<T> = { readonly ok: T } | { readonly error: OAuthError }

/**
 * `grant_type=authorization_code`: the code must be the client's, unexpired (60 s), unused, for
 * the same redirect URI and resource, and its PKCE verifier must match. Then the grant is minted
 * — a key of source `oauth` named after the client, with the consented caveats and lifetime — and
 * its first access and refresh tokens issued. A code presented a second time revokes the grant it
 * gave (RFC 6749 §4.1.2), and is `invalid_grant`.
 *
 * @example
 * const tokens = await exchangeAuthorizationCode(svc, client, { code, codeVerifier, redirectUri, resource }, meta)
 */
export async function exchangeAuthorizationCode(
  svc: Service,
  client: OAuthClient,
  input: CodeExchange,
  meta: RequestMeta,
): Promise<TokenResponse> {
  if (!isSecretOf('authorizationCode', input.code))
    throw new OAuthError('invalid_grant', 'unknown authorization code')
  const hash = secretHash(input.code)
  const who = clientActor(client.id, meta)
  const outcome = await svc.store.transaction(async (tx): Promise<Outcome<TokenResponse>> => {
    const now = svc.clock.now()
    const rec = await tx.oauth.findAuthorizationByCode(hash)
    if (rec === undefined || rec.clientId !== client.id) {
      return { error: new OAuthError('invalid_grant', 'unknown authorization code') }
    }
    if (rec.status === 'consumed') {
      // replayed: whoever holds it may be an attacker; the grant it gave is revoked
      if (rec.keyId !== null)
        await revokeGrantIn(svc, tx, rec.keyId, GRANT_REVOCATION_REASONS.codeReplay, who)
      return {
        error: new OAuthError(
          'invalid_grant',
          'the authorization code was used already; its grant is revoked',
        ),
      }
    }
    if (rec.status !== 'approved' || rec.codeExpiresAt === null || rec.codeExpiresAt <= now.toISOString()) {
      return { error: new OAuthError('invalid_grant', 'the authorization code has expired') }
    }
    if (input.redirectUri !== undefined && input.redirectUri !== rec.redirectUri) {
      return { error: new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request') }
    }
    if (!verifyPkceS256(input.codeVerifier, rec.codeChallenge)) {
      return { error: new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge') }
    }
    if (input.resource !== undefined && canonicalResource(input.resource) !== rec.resource) {
      return { error: new OAuthError('invalid_target', 'resource differs from the authorization request') }
    }
    const user = rec.userId === null ? undefined : await tx.users.get(rec.userId)
    if (user === undefined || rec.grantTtlMs === null || rec.grantedScope === null) {
      return { error: new OAuthError('invalid_grant', 'unknown authorization code') }
    }
    const minted = await mintKeyIn(svc, tx, {
      user,
      name: rec.clientName,
      source: 'oauth',
      caveats: rec.caveats,
      ttlMs: rec.grantTtlMs,
      who,
    })
    if (!(await tx.oauth.consumeAuthorization(hash, minted.key.id, now))) {
      // another exchange of this code won the race: this one's key is rolled back with the error
      throw new OAuthError('invalid_grant', 'the authorization code was used already')
    }
    const grant = await tx.oauth.insertGrant({
      keyId: minted.key.id,
      userId: user.id,
      clientId: client.id,
      resource: rec.resource,
      scope: rec.grantedScope,
      createdAt: now,
    })
    return { ok: await tokensFor(svc, tx, minted.key, grant, now) }
  })
  if ('error' in outcome) throw outcome.error
  return outcome.ok
}

/** What {@link refreshAccessToken} takes. */
export interface RefreshRequest {
  readonly refreshToken: string
  /** A narrower scope for this access token (never wider than the grant). */
  readonly scope: string | undefined
  readonly resource: string | undefined
}

/**
 * `grant_type=refresh_token`: the refresh token is rotated — used once, a new one issued with
 * the access token. A refresh token presented after it was used revokes the grant (reuse
 * detection, OAuth 2.1 §4.3.1). A revoked or expired grant is `invalid_grant`.
 *
 * @example
 * const tokens = await refreshAccessToken(svc, client, { refreshToken, scope: undefined, resource: undefined }, meta)
 */
export async function refreshAccessToken(
  svc: Service,
  client: OAuthClient,
  input: RefreshRequest,
  meta: RequestMeta,
): Promise<TokenResponse> {
  if (!isSecretOf('refreshToken', input.refreshToken))
    throw new OAuthError('invalid_grant', 'unknown refresh token')
  const hash = secretHash(input.refreshToken)
  const who = clientActor(client.id, meta)
  const outcome = await svc.store.transaction(
    async (tx): Promise<Outcome<TokenResponse & { keyId: string }>> => {
      const now = svc.clock.now()
      const rec: RefreshTokenRecord | undefined = await tx.oauth.findRefreshToken(hash)
      if (rec === undefined || rec.clientId !== client.id) {
        return { error: new OAuthError('invalid_grant', 'unknown refresh token') }
      }
      const reused = async (): Promise<{ error: OAuthError }> => {
        await revokeGrantIn(svc, tx, rec.keyId, GRANT_REVOCATION_REASONS.refreshReuse, who)
        return {
          error: new OAuthError('invalid_grant', 'the refresh token was used already; its grant is revoked'),
        }
      }
      if (rec.usedAt !== null) return reused()
      const key = await tx.keys.get(rec.keyId, now)
      const grant = await tx.oauth.getGrant(rec.keyId)
      if (
        key === undefined ||
        grant === undefined ||
        key.status !== 'active' ||
        rec.expiresAt <= now.toISOString()
      ) {
        return { error: new OAuthError('invalid_grant', 'the grant has been revoked or has expired') }
      }
      if (input.resource !== undefined && canonicalResource(input.resource) !== grant.resource) {
        return { error: new OAuthError('invalid_target', 'resource differs from the grant') }
      }
      let narrower: string | undefined
      if (input.scope !== undefined && input.scope.trim() !== '') {
        const asked = parseScope(input.scope)
        if (!isScopeWithin(asked, parseScope(grant.scope))) {
          return { error: new OAuthError('invalid_scope', 'the scope asks for more than the grant') }
        }
        narrower = formatScope(asked)
      }
      if (!(await tx.oauth.useRefreshToken(hash, now))) return reused()
      return { ok: { ...(await tokensFor(svc, tx, key, grant, now, narrower)), keyId: key.id } }
    },
  )
  if ('error' in outcome) throw outcome.error
  const { keyId, ...tokens } = outcome.ok
  // a refresh is a use of the grant: its key's "last used" says so
  svc.usage.record({ tokenId: keyId, at: svc.clock.now(), ip: meta.ip, userAgent: meta.userAgent })
  return tokens
}

/**
 * `POST /oauth/revoke` (RFC 7009): a refresh token of this client, or an access token cut from
 * one of its grants, revokes the whole grant — its key, so every access token dies at every
 * verifier, and every refresh token with it. Anything else (unknown, malformed, another client's)
 * changes nothing and is not an error (§2.2).
 *
 * @example
 * await revokeOAuthToken(svc, client, token, meta)
 */
export async function revokeOAuthToken(
  svc: Service,
  client: OAuthClient,
  token: string,
  meta: RequestMeta,
): Promise<void> {
  const keyId = await grantOf(svc, client, token)
  if (keyId === undefined) return
  await svc.store.transaction((tx) =>
    revokeGrantIn(svc, tx, keyId, GRANT_REVOCATION_REASONS.revokedByClient, clientActor(client.id, meta)),
  )
}

/** The grant (key id) of `client` a refresh or access token belongs to, if any. */
async function grantOf(svc: Service, client: OAuthClient, token: string): Promise<string | undefined> {
  if (isSecretOf('refreshToken', token)) {
    const rec = await svc.store.oauth.findRefreshToken(secretHash(token))
    return rec?.clientId === client.id ? rec.keyId : undefined
  }
  let tokenId: string
  try {
    // possession of a genuine token is the proof (as at POST /v1/revocations): the signature only
    const [primary, ...discharges] = decodeTokenList(token)
    const id = decodeIdentifier(primary.identifierText)
    primary.verify(rootKeyFor(svc.ring, id.kid, primary.identifier), () => true, discharges)
    tokenId = id.tokenId
  } catch {
    return undefined
  }
  const grant = await svc.store.oauth.getGrant(tokenId)
  return grant?.clientId === client.id ? grant.keyId : undefined
}
