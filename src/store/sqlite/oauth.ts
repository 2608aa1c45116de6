import type BetterSqlite3 from 'better-sqlite3'
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
import type { Sync } from './sync.js'

/** The synchronous form of `OAuthPort` over one better-sqlite3 connection. */
export type OAuthRepo = Sync<OAuthPort>

interface ClientRow {
  id: string
  name: string
  redirect_uris: string
  auth_method: OAuthClientAuthMethod
  secret_hash: string | null
  client_uri: string | null
  logo_uri: string | null
  scope: string | null
  created_at: string
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
  created_at: string
  expires_at: string
  status: AuthorizationStatus
  user_id: string | null
  decided_at: string | null
  granted_scope: string | null
  caveats: string
  grant_ttl_ms: number | null
  code_hash: string | null
  code_expires_at: string | null
  key_id: string | null
}

interface GrantRow {
  key_id: string
  user_id: string
  client_id: string
  resource: string
  scope: string
  created_at: string
}

interface RefreshRow {
  token_hash: string
  key_id: string
  client_id: string
  created_at: string
  expires_at: string
  used_at: string | null
}

function stringArray(text: string, what: string): string[] {
  const value: unknown = JSON.parse(text)
  if (!Array.isArray(value) || !value.every((c): c is string => typeof c === 'string')) {
    throw new Error(`${what} is not an array of strings`)
  }
  return value
}

function toClient(r: ClientRow): OAuthClientRecord {
  return {
    id: r.id,
    name: r.name,
    redirectUris: stringArray(r.redirect_uris, 'oauth_clients.redirect_uris'),
    authMethod: r.auth_method,
    secretHash: r.secret_hash,
    clientUri: r.client_uri,
    logoUri: r.logo_uri,
    scope: r.scope,
    createdAt: r.created_at,
    registeredIp: r.registered_ip,
  }
}

function toAuthorization(r: AuthorizationRow): AuthorizationRecord {
  return {
    id: r.id,
    clientId: r.client_id,
    clientName: r.client_name,
    redirectUri: r.redirect_uri,
    codeChallenge: r.code_challenge,
    state: r.state,
    scope: r.scope,
    resource: r.resource,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    status: r.status,
    userId: r.user_id,
    decidedAt: r.decided_at,
    grantedScope: r.granted_scope,
    caveats: stringArray(r.caveats, 'oauth_authorizations.caveats'),
    grantTtlMs: r.grant_ttl_ms,
    codeHash: r.code_hash,
    codeExpiresAt: r.code_expires_at,
    keyId: r.key_id,
  }
}

const toGrant = (r: GrantRow): OAuthGrantRecord => ({
  keyId: r.key_id,
  userId: r.user_id,
  clientId: r.client_id,
  resource: r.resource,
  scope: r.scope,
  createdAt: r.created_at,
})

const toRefresh = (r: RefreshRow): RefreshTokenRecord => ({
  tokenHash: r.token_hash,
  keyId: r.key_id,
  clientId: r.client_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
})

/**
 * Prepare the OAuth statements once for `db`.
 *
 * @example
 * const oauth = createOAuthRepo(db)
 */
export function createOAuthRepo(db: BetterSqlite3.Database): OAuthRepo {
  const insertClient = db.prepare<unknown[], ClientRow>(
    `INSERT INTO oauth_clients (id, name, redirect_uris, auth_method, secret_hash, client_uri, logo_uri, scope,
                                created_at, registered_ip)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  )
  const clientById = db.prepare<[string], ClientRow>('SELECT * FROM oauth_clients WHERE id = ?')
  const insertAuthorization = db.prepare<unknown[], AuthorizationRow>(
    `INSERT INTO oauth_authorizations (id, client_id, client_name, redirect_uri, code_challenge, state, scope,
                                       resource, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  )
  const authorizationById = db.prepare<[string], AuthorizationRow>(
    'SELECT * FROM oauth_authorizations WHERE id = ?',
  )
  const authorizationByCode = db.prepare<[string], AuthorizationRow>(
    'SELECT * FROM oauth_authorizations WHERE code_hash = ?',
  )
  const approve = db.prepare<unknown[], AuthorizationRow>(
    `UPDATE oauth_authorizations
     SET status = 'approved', user_id = ?, decided_at = ?, granted_scope = ?, caveats = ?, grant_ttl_ms = ?,
         code_hash = ?, code_expires_at = ?
     WHERE id = ? AND status = 'pending' AND expires_at > ?
     RETURNING *`,
  )
  const deny = db.prepare<[string, string, string, string]>(
    `UPDATE oauth_authorizations SET status = 'denied', user_id = ?, decided_at = ?
     WHERE id = ? AND status = 'pending' AND expires_at > ?`,
  )
  const consume = db.prepare<[string, string, string]>(
    `UPDATE oauth_authorizations SET status = 'consumed', key_id = ?
     WHERE code_hash = ? AND status = 'approved' AND code_expires_at > ?`,
  )
  const insertGrant = db.prepare<unknown[], GrantRow>(
    `INSERT INTO oauth_grants (key_id, user_id, client_id, resource, scope, created_at)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
  )
  const grantByKey = db.prepare<[string], GrantRow>('SELECT * FROM oauth_grants WHERE key_id = ?')
  const insertRefresh = db.prepare<unknown[], RefreshRow>(
    `INSERT INTO oauth_refresh_tokens (token_hash, key_id, client_id, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?) RETURNING *`,
  )
  const refreshByHash = db.prepare<[string], RefreshRow>(
    'SELECT * FROM oauth_refresh_tokens WHERE token_hash = ?',
  )
  const useRefresh = db.prepare<[string, string]>(
    'UPDATE oauth_refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL',
  )
  const pruneAuthorizations = db.prepare<[string]>(`DELETE FROM oauth_authorizations WHERE expires_at <= ?`)
  const pruneRefresh = db.prepare<[string]>('DELETE FROM oauth_refresh_tokens WHERE expires_at <= ?')

  const must = <T>(row: T | undefined, what: string): T => {
    if (row === undefined) throw new Error(`${what} returned no row`)
    return row
  }

  return {
    insertClient(c) {
      const row = insertClient.get(
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
      )
      return toClient(must(row, 'insert client'))
    },
    getClient(id) {
      const r = clientById.get(id)
      return r && toClient(r)
    },
    createAuthorization(a) {
      const row = insertAuthorization.get(
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
      )
      return toAuthorization(must(row, 'insert authorization'))
    },
    getAuthorization(id) {
      const r = authorizationById.get(id)
      return r && toAuthorization(r)
    },
    approveAuthorization(id, approval, at) {
      const now = toIso(at)
      const r = approve.get(
        approval.userId,
        now,
        approval.grantedScope,
        JSON.stringify([...approval.caveats]),
        approval.grantTtlMs,
        approval.codeHash,
        toIso(approval.codeExpiresAt),
        id,
        now,
      )
      return r && toAuthorization(r)
    },
    denyAuthorization(id, userId, at) {
      const now = toIso(at)
      return deny.run(userId, now, id, now).changes > 0
    },
    findAuthorizationByCode(codeHash) {
      const r = authorizationByCode.get(codeHash)
      return r && toAuthorization(r)
    },
    consumeAuthorization(codeHash, keyId, at) {
      return consume.run(keyId, codeHash, toIso(at)).changes > 0
    },
    insertGrant(g) {
      const row = insertGrant.get(g.keyId, g.userId, g.clientId, g.resource, g.scope, toIso(g.createdAt))
      return toGrant(must(row, 'insert grant'))
    },
    getGrant(keyId) {
      const r = grantByKey.get(keyId)
      return r && toGrant(r)
    },
    insertRefreshToken(t) {
      const row = insertRefresh.get(t.tokenHash, t.keyId, t.clientId, toIso(t.createdAt), toIso(t.expiresAt))
      return toRefresh(must(row, 'insert refresh token'))
    },
    findRefreshToken(tokenHash) {
      const r = refreshByHash.get(tokenHash)
      return r && toRefresh(r)
    },
    useRefreshToken(tokenHash, at) {
      return useRefresh.run(toIso(at), tokenHash).changes > 0
    },
    prune(now, before) {
      return pruneAuthorizations.run(toIso(before)).changes + pruneRefresh.run(toIso(now)).changes
    },
  }
}
