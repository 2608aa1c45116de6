import { randomBytes } from 'node:crypto'
import { RateLimited } from '../../errors.js'
import type { OAuthClientAuthMethod, OAuthClientRecord } from '../../store/index.js'
import type { RequestMeta, Service } from '../context.js'
import { isClientIdUrl, readClientIdDocument } from './client-id-document.js'
import { ClientDocumentCache } from './client-id-document-cache.js'
import { type ClientMetadata, parseClientMetadata } from './client-metadata.js'
import { OAuthError } from './errors.js'
import { newSecret, secretHash, secretMatches } from './secrets.js'

/** A client as the authorization server deals with it: registered, or known by its metadata document. */
export interface OAuthClient {
  readonly id: string
  readonly name: string
  readonly redirectUris: readonly string[]
  readonly authMethod: OAuthClientAuthMethod
  /** The most it may ask for ('' or undefined: anything). */
  readonly scope: string | undefined
  /** Hash of its secret (confidential clients). */
  readonly secretHash: string | null
  /** True when the client id is a Client ID Metadata Document URL. */
  readonly fromDocument: boolean
}

/** A registration just made: the client, and its secret (shown once) when confidential. */
export interface RegisteredClient {
  readonly client: OAuthClientRecord
  readonly secret: string | undefined
}

const CLIENT_ID = /^cli_[A-Za-z0-9_-]{22}$/

/** Counts a hit of `key` on `limiter`, or refuses with `rate_limited`. */
function take(limiter: Service['limits']['oauthToken'], key: string, what: string): void {
  const wait = limiter.retryAfterMs(key)
  if (wait > 0) throw new RateLimited(`too many ${what} from this address`, wait / 1000)
  limiter.hit(key)
}

/**
 * Counts a request to the token, revocation or introspection endpoint against its client
 * address, or refuses it (`rate_limited`).
 *
 * @example
 * limitTokenRequests(svc, meta)
 */
export function limitTokenRequests(svc: Pick<Service, 'limits'>, meta: RequestMeta): void {
  take(svc.limits.oauthToken, `ip:${meta.ip ?? '?'}`, 'token requests')
}

/**
 * Counts an authorization request against its client address, or refuses it (`rate_limited`).
 *
 * @example
 * limitAuthorizationRequests(svc, meta)
 */
export function limitAuthorizationRequests(svc: Pick<Service, 'limits'>, meta: RequestMeta): void {
  take(svc.limits.oauthAuthorize, `ip:${meta.ip ?? '?'}`, 'authorization requests')
}

/**
 * `POST /oauth/register` (RFC 7591): checks the metadata, stores the client (a confidential one
 * with the hash of a fresh secret, returned once) and answers with its id. Limited per address.
 *
 * @example
 * const { client, secret } = await registerClient(svc, { redirect_uris: ['http://127.0.0.1/cb'] }, meta)
 */
export async function registerClient(
  svc: Service,
  body: unknown,
  meta: RequestMeta,
): Promise<RegisteredClient> {
  const key = `ip:${meta.ip ?? '?'}`
  const wait = svc.limits.oauthRegister.retryAfterMs(key)
  if (wait > 0) throw new RateLimited('too many client registrations from this address', wait / 1000)
  const metadata: ClientMetadata = parseClientMetadata(body)
  svc.limits.oauthRegister.hit(key)
  const secret = metadata.tokenEndpointAuthMethod === 'none' ? undefined : newSecret('clientSecret')
  const client = await svc.store.oauth.insertClient({
    id: `cli_${randomBytes(16).toString('base64url')}`,
    name: metadata.clientName,
    redirectUris: metadata.redirectUris,
    authMethod: metadata.tokenEndpointAuthMethod,
    secretHash: secret === undefined ? null : secretHash(secret),
    clientUri: metadata.clientUri ?? null,
    logoUri: metadata.logoUri ?? null,
    scope: metadata.scope ?? null,
    createdAt: svc.clock.now(),
    registeredIp: meta.ip,
  })
  return { client, secret }
}

const documentCaches = new WeakMap<object, ClientDocumentCache>()

/** The service's cache of Client ID Metadata Documents (one per service, shared by its requests). */
function documentCacheOf(svc: Pick<Service, 'clock'>): ClientDocumentCache {
  let cache = documentCaches.get(svc)
  if (cache === undefined) {
    cache = new ClientDocumentCache(() => svc.clock.now().getTime())
    documentCaches.set(svc, cache)
  }
  return cache
}

/**
 * The client a `client_id` names: a registered one (`cli_…`), or a Client ID Metadata Document
 * fetched from the URL (https; http on a loopback host when `CRUMB_OAUTH_ALLOW_LOOPBACK_CLIENT_IDS`)
 * and kept as its cache headers say, between a minute and an hour ({@link ClientDocumentCache}).
 * Unknown: `invalid_client`.
 *
 * @example
 * const client = await resolveClient(svc, 'cli_3q2W1vXb0sPqH9tYk8mZ7A')
 */
export async function resolveClient(
  svc: Pick<Service, 'store' | 'config' | 'clock'>,
  clientId: string,
): Promise<OAuthClient> {
  const allowLoopback = svc.config.oauthAllowLoopbackClientIds
  if (isClientIdUrl(clientId, { allowLoopback })) {
    const doc = await documentCacheOf(svc).get(clientId, () =>
      readClientIdDocument(clientId, { allowLoopback }),
    )
    return {
      id: clientId,
      name: doc.clientName,
      redirectUris: doc.redirectUris,
      authMethod: 'none',
      scope: undefined,
      secretHash: null,
      fromDocument: true,
    }
  }
  const record = CLIENT_ID.test(clientId) ? await svc.store.oauth.getClient(clientId) : undefined
  if (record === undefined) throw new OAuthError('invalid_client', 'unknown client_id')
  return {
    id: record.id,
    name: record.name,
    redirectUris: record.redirectUris,
    authMethod: record.authMethod,
    scope: record.scope ?? undefined,
    secretHash: record.secretHash,
    fromDocument: false,
  }
}

/** How a request to the token, revocation or introspection endpoint identified its client. */
export interface ClientCredentials {
  /** From HTTP Basic (`client_secret_basic`). */
  readonly basic?: { readonly id: string; readonly secret: string } | undefined
  /** `client_id` in the body. */
  readonly clientId?: string | undefined
  /** `client_secret` in the body (`client_secret_post`). */
  readonly clientSecret?: string | undefined
}

/**
 * Authenticates the client of a token-endpoint request the way it registered: a public client by
 * its `client_id`, a confidential one by its secret, in the Basic header or the body as registered.
 * Any mismatch is `invalid_client`, without saying which part was wrong.
 *
 * @example
 * const client = await authenticateClient(svc, { clientId: 'cli_…' })
 */
export async function authenticateClient(
  svc: Pick<Service, 'store' | 'config' | 'clock'>,
  credentials: ClientCredentials,
): Promise<OAuthClient> {
  const { basic, clientId, clientSecret } = credentials
  if (basic !== undefined && clientSecret !== undefined)
    throw new OAuthError('invalid_request', 'use one way of client authentication, not two')
  if (basic !== undefined && clientId !== undefined && clientId !== basic.id)
    throw new OAuthError('invalid_client', 'client authentication failed')
  const id = basic?.id ?? clientId
  if (id === undefined) throw new OAuthError('invalid_client', 'client_id is missing')
  let client: OAuthClient
  try {
    client = await resolveClient(svc, id)
  } catch (error) {
    throw new OAuthError('invalid_client', 'client authentication failed', { cause: error })
  }
  const presented = basic?.secret ?? clientSecret
  const method: OAuthClientAuthMethod =
    basic !== undefined ? 'client_secret_basic' : clientSecret !== undefined ? 'client_secret_post' : 'none'
  const ok =
    method === client.authMethod &&
    (method === 'none' ||
      (presented !== undefined && client.secretHash !== null && secretMatches(presented, client.secretHash)))
  if (!ok) throw new OAuthError('invalid_client', 'client authentication failed')
  return client
}
