import type {
  AuthorizationRecord,
  AuthorizationStatus,
  OAuthClientAuthMethod,
  OAuthClientRecord,
  OAuthGrantRecord,
  RefreshTokenRecord,
} from '../oauth.js'
import type { OAuthPort } from '../port.js'
import { toIso } from '../time.js'
import { isoOf, type Queryable } from './queryable.js'

interface ClientRow {
  id: string
  name: string
  redirect_uris: string[]
  auth_method: OAuthClientAuthMethod
  secret_hash: string | null
  client_uri: string | null
  logo_uri: string | null
  scope: string | null
  created_at: Date
  registered_ip: string | null
}

interface AuthorizationRow {
  id: string
  client_id: string
  client_name: string
  redirect_uri: string
  code_challenge: string
  state: string | null
  scope: string
  resource: string
  created_at: Date
  expires_at: Date
  status: AuthorizationStatus
  user_id: string | null
  decided_at: Date | null
  granted_scope: string | null
  caveats: string[]
  grant_ttl_ms: string | null
  code_hash: string | null
  code_expires_at: Date | null
  key_id: string | null
}

interface GrantRow {
  key_id: string
  user_id: string
  client_id: string
  resource: string
  scope: string
  created_at: Date
}

interface RefreshRow {
  token_hash: string
  key_id: string
  client_id: string
  created_at: Date
  expires_at: Date
  used_at: Date | null
}

const toClient = (r: ClientRow): OAuthClientRecord => ({
  id: r.id,
  name: r.name,
  redirectUris: r.redirect_uris,
  authMethod: r.auth_method,
  secretHash: r.secret_hash,
  clientUri: r.client_uri,
  logoUri: r.logo_uri,
  scope: r.scope,
  createdAt: isoOf(r.created_at),
  registeredIp: r.registered_ip,
})

const toAuthorization = (r: AuthorizationRow): AuthorizationRecord => ({
  id: r.id,
  clientId: r.client_id,
  clientName: r.client_name,
  redirectUri: r.redirect_uri,
  codeChallenge: r.code_challenge,
  state: r.state,
  scope: r.scope,
  resource: r.resource,
  createdAt: isoOf(r.created_at),
  expiresAt: isoOf(r.expires_at),
  status: r.status,
  userId: r.user_id,
  decidedAt: isoOf(r.decided_at),
  grantedScope: r.granted_scope,
  caveats: r.caveats,
  // bigint comes back as text
  grantTtlMs: r.grant_ttl_ms === null ? null : Number(r.grant_ttl_ms),
  codeHash: r.code_hash,
  codeExpiresAt: isoOf(r.code_expires_at),
  keyId: r.key_id,
})

const toGrant = (r: GrantRow): OAuthGrantRecord => ({
  keyId: r.key_id,
  userId: r.user_id,
  clientId: r.client_id,
  resource: r.resource,
  scope: r.scope,
  createdAt: isoOf(r.created_at),
})

const toRefresh = (r: RefreshRow): RefreshTokenRecord => ({
  tokenHash: r.token_hash,
  keyId: r.key_id,
  clientId: r.client_id,
  createdAt: isoOf(r.created_at),
  expiresAt: isoOf(r.expires_at),
  usedAt: isoOf(r.used_at),
})

/**
 * The OAuth authorization server's state on PostgreSQL. Each state change is one conditional
 * UPDATE: when two instances race to use one code or refresh token, the row lock makes the second
 * re-check the condition against the first one's result, so exactly one succeeds.
 *
 * @example
 * const oauth = postgresOAuth(client)
 * if (!(await oauth.useRefreshToken(hash, now))) throw reuse
 */
export function postgresOAuth(q: Queryable): OAuthPort {
  const rows = async <R>(text: string, values: unknown[]): Promise<R[]> =>
    (await q.query(text, values)).rows as R[]
  const first = async <R>(text: string, values: unknown[]): Promise<R | undefined> =>
    (await rows<R>(text, values))[0]
  const must = <T>(row: T | undefined, what: string): T => {
    if (row === undefined) throw new Error(`${what} returned no row`)
    return row
  }
  const changed = async (text: string, values: unknown[]): Promise<number> =>
    (await q.query(text, values)).rowCount ?? 0

  return {
    async insertClient(c) {
      const row = await first<ClientRow>(
        `INSERT INTO oauth_clients (id, name, redirect_uris, auth_method, secret_hash, client_uri, logo_uri, scope,
                                    created_at, registered_ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [
          c.id,
          c.name,
          JSON.stringify([...c.redirectUris]),
          c.authMethod,
          c.secretHash ?? null,
          c.clientUri ?? null,
          c.logoUri ?? null,
          c.scope ?? null,
          toIso(c.createdAt),
          c.registeredIp ?? null,
        ],
      )
      return toClient(must(row, 'insert client'))
    },
    async getClient(id) {
      const r = await first<ClientRow>('SELECT * FROM oauth_clients WHERE id = $1', [id])
      return r && toClient(r)
    },
    async createAuthorization(a) {
      const row = await first<AuthorizationRow>(
        `INSERT INTO oauth_authorizations (id, client_id, client_name, redirect_uri, code_challenge, state, scope,
                                           resource, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [
          a.id,
          a.clientId,
          a.clientName,
          a.redirectUri,
          a.codeChallenge,
          a.state ?? null,
          a.scope,
          a.resource,
          toIso(a.createdAt),
          toIso(a.expiresAt),
        ],
      )
      return toAuthorization(must(row, 'insert authorization'))
    },
    async getAuthorization(id) {
      const r = await first<AuthorizationRow>('SELECT * FROM oauth_authorizations WHERE id = $1', [id])
      return r && toAuthorization(r)
    },
    async approveAuthorization(id, approval, at) {
      const r = await first<AuthorizationRow>(
        `UPDATE oauth_authorizations
         SET status = 'approved', user_id = $2, decided_at = $3, granted_scope = $4, caveats = $5,
             grant_ttl_ms = $6, code_hash = $7, code_expires_at = $8
         WHERE id = $1 AND status = 'pending' AND expires_at > $3
         RETURNING *`,
        [
          id,
          approval.userId,
          toIso(at),
          approval.grantedScope,
          JSON.stringify([...approval.caveats]),
          approval.grantTtlMs,
          approval.codeHash,
          toIso(approval.codeExpiresAt),
        ],
      )
      return r && toAuthorization(r)
    },
    async denyAuthorization(id, userId, at) {
      return (
        (await changed(
          `UPDATE oauth_authorizations SET status = 'denied', user_id = $2, decided_at = $3
           WHERE id = $1 AND status = 'pending' AND expires_at > $3`,
          [id, userId, toIso(at)],
        )) > 0
      )
    },
    async findAuthorizationByCode(codeHash) {
      const r = await first<AuthorizationRow>('SELECT * FROM oauth_authorizations WHERE code_hash = $1', [
        codeHash,
      ])
      return r && toAuthorization(r)
    },
    async consumeAuthorization(codeHash, keyId, at) {
      return (
        (await changed(
          `UPDATE oauth_authorizations SET status = 'consumed', key_id = $2
           WHERE code_hash = $1 AND status = 'approved' AND code_expires_at > $3`,
          [codeHash, keyId, toIso(at)],
        )) > 0
      )
    },
    async insertGrant(g) {
      const row = await first<GrantRow>(
        `INSERT INTO oauth_grants (key_id, user_id, client_id, resource, scope, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [g.keyId, g.userId, g.clientId, g.resource, g.scope, toIso(g.createdAt)],
      )
      return toGrant(must(row, 'insert grant'))
    },
    async getGrant(keyId) {
      const r = await first<GrantRow>('SELECT * FROM oauth_grants WHERE key_id = $1', [keyId])
      return r && toGrant(r)
    },
    async insertRefreshToken(t) {
      const row = await first<RefreshRow>(
        `INSERT INTO oauth_refresh_tokens (token_hash, key_id, client_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [t.tokenHash, t.keyId, t.clientId, toIso(t.createdAt), toIso(t.expiresAt)],
      )
      return toRefresh(must(row, 'insert refresh token'))
    },
    async findRefreshToken(tokenHash) {
      const r = await first<RefreshRow>('SELECT * FROM oauth_refresh_tokens WHERE token_hash = $1', [
        tokenHash,
      ])
      return r && toRefresh(r)
    },
    async useRefreshToken(tokenHash, at) {
      return (
        (await changed(
          'UPDATE oauth_refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL',
          [tokenHash, toIso(at)],
        )) > 0
      )
    },
    async prune(now, before) {
      return (
        (await changed('DELETE FROM oauth_authorizations WHERE expires_at <= $1', [toIso(before)])) +
        (await changed('DELETE FROM oauth_refresh_tokens WHERE expires_at <= $1', [toIso(now)]))
      )
    },
  }
}
