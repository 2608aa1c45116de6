import type { Instant } from './time.js'

/**
 * The OAuth authorization server's records (DESIGN.md "OAuth 2.1 authorization server"). No secret
 * is stored: client secrets, authorization codes and refresh tokens are kept as their SHA-256
 * (`secretHash` in `src/service/oauth/secrets.ts`). A grant is a key of source `oauth`; its OAuth
 * side (client, resource, scope) is an {@link OAuthGrantRecord} beside the key row.
 */

/** How a client authenticates at the token endpoint. */
export type OAuthClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post'

/** A client registered through `POST /oauth/register` (RFC 7591). */
export interface OAuthClientRecord {
  /** `cli_` + base64url. */
  id: string
  name: string
  redirectUris: string[]
  authMethod: OAuthClientAuthMethod
  /** SHA-256 of the client secret (confidential clients only). */
  secretHash: string | null
  clientUri: string | null
  logoUri: string | null
  /** The most the client may ask for, canonical scope words; null: anything. */
  scope: string | null
  createdAt: string
  registeredIp: string | null
}

/** What `OAuthPort.insertClient` takes. */
export interface NewOAuthClient {
  id: string
  name: string
  redirectUris: readonly string[]
  authMethod: OAuthClientAuthMethod
  secretHash?: string | null | undefined
  clientUri?: string | null | undefined
  logoUri?: string | null | undefined
  scope?: string | null | undefined
  createdAt: Instant
  registeredIp?: string | null | undefined
}

/** Life of an authorization request: asked, decided by the user, its code exchanged once. */
export type AuthorizationStatus = 'pending' | 'approved' | 'denied' | 'consumed'

/**
 * One `/oauth/authorize` request: what the client asked (kept while the user signs in and
 * decides), then what the user consented to and the (hashed) code that carries it.
 */
export interface AuthorizationRecord {
  /** `azr_` + base64url: names the request in the consent page's URL (not a credential). */
  id: string
  clientId: string
  /** The client's name when it asked (a metadata-document client is not stored). */
  clientName: string
  /** The redirect URI as presented (the code is bound to it). */
  redirectUri: string
  /** PKCE S256 challenge. */
  codeChallenge: string
  state: string | null
  /** What the client asked for, canonical scope words ('' = anything). */
  scope: string
  /** The resource (RFC 8707) the tokens are for: their `aud`. */
  resource: string
  createdAt: string
  /** The request must be decided before this. */
  expiresAt: string
  status: AuthorizationStatus
  userId: string | null
  decidedAt: string | null
  /** What the user consented to, canonical scope words. */
  grantedScope: string | null
  /** The grant's caveats (scope caveats), in the caveat language. */
  caveats: string[]
  /** Lifetime of the grant the user chose (ms). */
  grantTtlMs: number | null
  /** SHA-256 of the authorization code. */
  codeHash: string | null
  /** The code must be exchanged before this (≤ 60 s after approval). */
  codeExpiresAt: string | null
  /** The grant (key) the code was exchanged for. */
  keyId: string | null
}

/** What `OAuthPort.createAuthorization` takes. */
export interface NewAuthorization {
  id: string
  clientId: string
  clientName: string
  redirectUri: string
  codeChallenge: string
  state?: string | null | undefined
  scope: string
  resource: string
  createdAt: Instant
  expiresAt: Instant
}

/** What the user consented to (`OAuthPort.approveAuthorization`). */
export interface AuthorizationApproval {
  userId: string
  grantedScope: string
  caveats: readonly string[]
  grantTtlMs: number
  codeHash: string
  codeExpiresAt: Instant
}

/** The OAuth side of a grant: the key of source `oauth` it belongs to. */
export interface OAuthGrantRecord {
  keyId: string
  userId: string
  clientId: string
  resource: string
  /** Canonical scope words of the consent. */
  scope: string
  createdAt: string
}

/** What `OAuthPort.insertGrant` takes. */
export interface NewOAuthGrant extends Omit<OAuthGrantRecord, 'createdAt'> {
  createdAt: Instant
}

/** A refresh token, stored as its hash; rotated on every use. */
export interface RefreshTokenRecord {
  tokenHash: string
  keyId: string
  clientId: string
  createdAt: string
  expiresAt: string
  /** When it was exchanged (a second use is reuse: the grant is revoked). */
  usedAt: string | null
}

/** What `OAuthPort.insertRefreshToken` takes. */
export interface NewRefreshToken {
  tokenHash: string
  keyId: string
  clientId: string
  createdAt: Instant
  expiresAt: Instant
}
