import { randomBytes } from 'node:crypto'
import { canonicalAudience } from '../../../caveats/lib/audience.js'
import { CrumbError } from '../../errors.js'
import type { AuthorizationRecord } from '../../store/index.js'

export type { AuthorizationRecord } from '../../store/index.js'

import { type AuthContext, requireUnrestricted } from '../authenticate.js'
import type { RequestMeta, Service } from '../context.js'
import { limitAuthorizationRequests, type OAuthClient, resolveClient } from './clients.js'
import { OAuthError } from './errors.js'
import { isS256Challenge } from './pkce.js'
import { resolveRedirectUri } from './redirect-uri.js'
import {
  formatScope,
  intersectScope,
  isScopeWithin,
  type OAuthScope,
  parseScope,
  SCOPE_OPS,
  scopeCaveats,
} from './scope.js'
import { newSecret, secretHash } from './secrets.js'

/** How long a user has to sign in and decide (the pending request's life). */
export const AUTHORIZATION_REQUEST_TTL_MS = 10 * 60_000
/** An authorization code's life: RFC 6749 recommends at most ten minutes; crumb allows 60 s. */
export const AUTHORIZATION_CODE_TTL_MS = 60_000
/** The grant lifetimes the consent page offers, shortest first; the default is 30 days. */
export const GRANT_LIFETIMES_MS = [86_400_000, 7 * 86_400_000, 30 * 86_400_000, 90 * 86_400_000] as const
export const DEFAULT_GRANT_LIFETIME_MS = 30 * 86_400_000

/**
 * An authorization error that may be sent back to the client: its redirect URI is one it
 * registered, so the browser is sent there with `error`, `state` and `iss` (RFC 6749 §4.1.2.1).
 * Errors before the redirect URI is known good are plain {@link OAuthError}s: an error page.
 */
export class AuthorizationRedirectError extends OAuthError {
  readonly redirectUri: string
  readonly state: string | undefined
  constructor(error: OAuthError, redirectUri: string, state: string | undefined) {
    super(error.code, error.message, { cause: error })
    this.redirectUri = redirectUri
    this.state = state
  }
}

/** One query parameter: absent, or given once (RFC 6749 §3.1: never repeated). */
function single(query: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be given once`)
  return value
}

/** The canonical resource (RFC 8707 §2: an absolute URI without fragment), else `invalid_target`. */
export function canonicalResource(resource: string): string {
  try {
    const canonical = canonicalAudience(resource)
    const url = new URL(canonical)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)')
    return canonical
  } catch (error) {
    throw new OAuthError('invalid_target', 'resource must be an absolute http(s) URI without a fragment', {
      cause: error,
    })
  }
}

/**
 * `GET /oauth/authorize`: checks the request in the order that keeps redirects safe — the client
 * (registered, or its metadata document) and an exactly matching redirect URI first (a failure is
 * an {@link OAuthError}: an error page, never a redirect), then everything else (a failure is an
 * {@link AuthorizationRedirectError}) — and stores it as a pending request for the consent page.
 * PKCE S256 and `resource` are required; `scope` is optional (the client's registered scope, or
 * anything, narrowed by the user on the consent page).
 *
 * @example
 * const request = await startAuthorization(svc, req.query, meta) // then: /oauth/consent?request=<id>
 */
export async function startAuthorization(
  svc: Service,
  query: Readonly<Record<string, unknown>>,
  meta: RequestMeta,
): Promise<AuthorizationRecord> {
  const clientId = single(query, 'client_id')
  if (clientId === undefined || clientId === '')
    throw new OAuthError('invalid_request', 'client_id is missing')
  const presentedRedirect = single(query, 'redirect_uri')
  const client = await resolveClient(svc, clientId)
  const redirectUri = resolveRedirectUri(client.redirectUris, presentedRedirect)
  if (redirectUri === undefined) {
    throw new OAuthError(
      'invalid_request',
      presentedRedirect === undefined
        ? 'redirect_uri is required: the client registered more than one'
        : 'redirect_uri is not one the client registered',
    )
  }
  // From here on the redirect URI is known good: errors go back to the client.
  let state: string | undefined
  try {
    state = single(query, 'state')
    if (state !== undefined && state.length > 1024)
      throw new OAuthError('invalid_request', 'state is too long')
    limitAuthorizationRequests(svc, meta)
    return await pending(svc, client, redirectUri, state, query)
  } catch (error) {
    if (error instanceof CrumbError && error.code === 'rate_limited') {
      throw new AuthorizationRedirectError(
        new OAuthError('temporarily_unavailable', 'too many authorization requests; try again later'),
        redirectUri,
        state,
      )
    }
    if (error instanceof OAuthError) throw new AuthorizationRedirectError(error, redirectUri, state)
    throw error
  }
}

async function pending(
  svc: Service,
  client: OAuthClient,
  redirectUri: string,
  state: string | undefined,
  query: Readonly<Record<string, unknown>>,
): Promise<AuthorizationRecord> {
  const responseType = single(query, 'response_type')
  if (responseType === undefined) throw new OAuthError('invalid_request', 'response_type is missing')
  if (responseType !== 'code')
    throw new OAuthError('unsupported_response_type', 'only response_type=code is supported')
  const challenge = single(query, 'code_challenge')
  const method = single(query, 'code_challenge_method')
  if (challenge === undefined)
    throw new OAuthError('invalid_request', 'PKCE is required: code_challenge is missing')
  if (method !== 'S256') throw new OAuthError('invalid_request', 'code_challenge_method must be S256')
  if (!isS256Challenge(challenge))
    throw new OAuthError('invalid_request', 'code_challenge is not an S256 challenge')
  const requested = requestedScope(client, single(query, 'scope'))
  const resourceText = single(query, 'resource')
  if (resourceText === undefined)
    throw new OAuthError(
      'invalid_request',
      'resource is required (RFC 8707): the URL of the API the token is for',
    )
  const resource = canonicalResource(resourceText)
  const now = svc.clock.now()
  return svc.store.oauth.createAuthorization({
    id: `azr_${randomBytes(16).toString('base64url')}`,
    clientId: client.id,
    clientName: client.name,
    redirectUri,
    codeChallenge: challenge,
    state: state ?? null,
    scope: formatScope(requested),
    resource,
    createdAt: now,
    expiresAt: new Date(now.getTime() + AUTHORIZATION_REQUEST_TTL_MS),
  })
}

/** The scope asked for, within what the client registered (none asked: what it registered, or anything). */
function requestedScope(client: OAuthClient, text: string | undefined): OAuthScope {
  const registered = client.scope === undefined ? undefined : parseScope(client.scope)
  if (text === undefined || text.trim() === '') return registered ?? parseScope('')
  const asked = parseScope(text)
  if (registered !== undefined && !isScopeWithin(asked, registered))
    throw new OAuthError('invalid_scope', 'the scope asks for more than the client registered')
  scopeCaveats(asked) // an empty intersection: invalid_scope
  return asked
}

/** A pending request for the consent page: what it asks, in the user's terms. */
export interface ConsentView {
  readonly request: AuthorizationRecord
  readonly scope: OAuthScope
}

/**
 * The pending, unexpired request `id` for the consent page, or `not_found`.
 *
 * @example
 * const { request, scope } = await consentView(svc, 'azr_…')
 */
export async function consentView(svc: Pick<Service, 'store' | 'clock'>, id: string): Promise<ConsentView> {
  const request = /^azr_[A-Za-z0-9_-]{22}$/.test(id) ? await svc.store.oauth.getAuthorization(id) : undefined
  if (
    request === undefined ||
    request.status !== 'pending' ||
    request.expiresAt <= svc.clock.now().toISOString()
  )
    throw new CrumbError(
      'not_found',
      'no pending authorization request with this id; start again from the app',
    )
  return { request, scope: parseScope(request.scope) }
}

/** What the user chose on the consent page. */
export interface ConsentDecision {
  readonly approve: boolean
  /** Orgs to narrow to (null: as requested). */
  readonly orgs: readonly string[] | null
  /** Apps to narrow to (null: as requested). */
  readonly apps: readonly string[] | null
  readonly readOnly: boolean
  /** Lifetime of the grant, one of {@link GRANT_LIFETIMES_MS} or up to the token lifetime cap. */
  readonly lifetimeMs: number
}

/** The decision's answer to the client: where to send the browser. */
export interface DecidedAuthorization {
  readonly request: AuthorizationRecord
  /** The redirect URI with `code` (or `error=access_denied`), `state` and `iss`. */
  readonly redirectTo: string
}

/** What the consent narrows the request to: never wider than what was asked. */
export function consentedScope(
  asked: OAuthScope,
  decision: Omit<ConsentDecision, 'approve' | 'lifetimeMs'>,
): OAuthScope {
  const narrowed = intersectScope(asked, {
    ops: decision.readOnly ? ['read'] : null,
    orgs: decision.orgs,
    apps: decision.apps,
  })
  // an unrestricted ops dimension is written out, so the grant and the token response name it
  return { ...narrowed, ops: narrowed.ops ?? [...SCOPE_OPS] }
}

/**
 * The signed-in user decides a pending request. Approving (an unrestricted session, as for a
 * device) stores what they consented to — the asked scope narrowed by their choices, and the
 * grant's lifetime — with the SHA-256 of a fresh code valid for 60 s; the code goes to the
 * client's redirect URI with `state` and `iss`. Denying sends `error=access_denied`. A consent
 * that would admit nothing is `validation_failed`.
 *
 * @example
 * const { redirectTo } = await decideAuthorization(svc, auth, 'azr_…', decision, 'https://crumb.example')
 */
export async function decideAuthorization(
  svc: Service,
  caller: AuthContext,
  id: string,
  decision: ConsentDecision,
  issuer: string,
): Promise<DecidedAuthorization> {
  const { request, scope } = await consentView(svc, id)
  const now = svc.clock.now()
  const back = new URL(request.redirectUri)
  if (request.state !== null) back.searchParams.set('state', request.state)
  back.searchParams.set('iss', issuer)
  if (!decision.approve) {
    if (!(await svc.store.oauth.denyAuthorization(id, caller.user.id, now)))
      throw new CrumbError('not_found', 'this authorization request was decided already')
    back.searchParams.set('error', 'access_denied')
    back.searchParams.set('error_description', 'the user denied the request')
    return { request, redirectTo: back.href }
  }
  requireUnrestricted(caller)
  const granted = consentedScope(scope, decision)
  let caveats: string[]
  try {
    caveats = scopeCaveats(granted)
  } catch {
    throw new CrumbError(
      'validation_failed',
      'what you chose admits nothing the app asked for: widen it or deny',
    )
  }
  const lifetimeMs = Math.min(Math.max(decision.lifetimeMs, 3_600_000), svc.config.tokenMaxTtlMs)
  const code = newSecret('authorizationCode')
  const approved = await svc.store.oauth.approveAuthorization(
    id,
    {
      userId: caller.user.id,
      grantedScope: formatScope(granted),
      caveats,
      grantTtlMs: lifetimeMs,
      codeHash: secretHash(code),
      codeExpiresAt: new Date(now.getTime() + AUTHORIZATION_CODE_TTL_MS),
    },
    now,
  )
  if (approved === undefined)
    throw new CrumbError('not_found', 'this authorization request was decided already')
  back.searchParams.set('code', code)
  return { request: approved, redirectTo: back.href }
}
