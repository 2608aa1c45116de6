import { CrumbError } from '../errors.js'
import type { KeyRecord, UserRecord } from '../store/index.js'
import { decodeIdentifier, decodeTokenList, type TokenClaims, verifyToken } from '../token/index.js'
import type { Service } from './context.js'
import type { VerifierKeyCache } from './verifier-keys.js'

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
 * Why a key no longer works, for the 401's detail: the unused-key job says since when (#18 item 5).
 *
 * @example
 * revokedDetail(key) // 'this key was revoked for being unused since 2026-01-01'
 */
export function revokedDetail(key: Pick<KeyRecord, 'revokedReason' | 'lastUsedAt' | 'createdAt'>): string {
  if (key.revokedReason === 'unused')
    return `this key was revoked ${unusedPhrase(key.lastUsedAt ?? key.createdAt)}`
  return 'token has been revoked'
}

/**
 * How the unused-key job words its reason, in errors, the audit row and the dashboard.
 *
 * @example
 * unusedPhrase('2026-01-01T10:00:00.000Z') // 'for being unused since 2026-01-01'
 */
export function unusedPhrase(since: string): string {
  return `for being unused since ${since.slice(0, 10)}`
}

/**
 * A `token_revoked` failure with the key's own reason when it has one worth telling (the
 * unused-key job); any other error as it was. Runs only on the failure path.
 */
async function whyRevoked(
  svc: Pick<Service, 'store'>,
  token: string | readonly string[],
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof CrumbError) || error.code !== 'token_revoked') return error
  try {
    const [primary] = decodeTokenList(token)
    const id = decodeIdentifier(primary.identifierText)
    const key = await svc.store.keys.get(id.tokenId)
    if (key === undefined || key.userId !== id.userId || key.revokedReason !== 'unused') return error
    return new CrumbError('token_revoked', revokedDetail(key), { cause: error })
  } catch {
    return error
  }
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
  options: {
    deferred?: ReadonlySet<'org' | 'app' | 'op'>
    audience?: string
    /** Reuse the key row for a moment (the verifier routes; see {@link VerifierKeyCache}). */
    keyCache?: VerifierKeyCache
  } = {},
): Promise<AuthContext> {
  await svc.feed.sync()
  const now = svc.clock.now()
  let claims: TokenClaims
  try {
    claims = verifyToken(token, {
      keys: svc.ring,
      revocations: svc.feed.list,
      request,
      now,
      leewayMs: svc.config.leewayMs,
      ...(options.deferred === undefined ? {} : { deferred: options.deferred }),
      audience: options.audience,
    })
  } catch (error) {
    throw await whyRevoked(svc, token, error)
  }
  let found = options.keyCache?.get(claims.tokenId)
  if (found === undefined) {
    found = await svc.store.keys.getWithOwner(claims.tokenId, now)
    options.keyCache?.remember(claims.tokenId, found)
  }
  if (found === undefined || found.key.userId !== claims.userId)
    throw new CrumbError('invalid_token', 'unknown key')
  const { key, owner: user } = found
  if (key.revokedAt !== null) throw new CrumbError('token_revoked', revokedDetail(key))
  // a rotated key whose grace period has ended is dead now, not when the periodic job gets to it
  if (key.revokeAfter !== null && new Date(key.revokeAfter).getTime() <= now.getTime()) {
    throw new CrumbError('token_revoked', 'token has been revoked (rotation grace period ended)')
  }
  if (user === undefined) throw new CrumbError('invalid_token', 'unknown user')
  return { claims, key, user, isRoot: isRootToken(token, key) }
}

const OP_ONLY: ReadonlySet<'op'> = new Set(['op'])

/**
 * {@link authenticateToken} for a call that admits ops besides its own: the feed, `/v1/verify` and
 * `/v1/usage` also admit `verify`, so a verifier's service token (`ops = verify`) can do those and
 * nothing else. `insufficient_scope` when the token's ops admit neither.
 *
 * @example
 * const auth = await authenticateForOps(svc, token, { ip }, 'read', ['verify'])
 */
export async function authenticateForOps(
  svc: Pick<Service, 'store' | 'ring' | 'feed' | 'clock' | 'config' | 'verifierKeys'>,
  token: string | readonly string[],
  request: Omit<RequestFacts, 'op'>,
  op: string,
  alsoOps: readonly string[],
): Promise<AuthContext> {
  // the op is judged here: the call's own op, or one of the extra ones
  const auth = await authenticateToken(svc, token, request, {
    deferred: OP_ONLY,
    keyCache: svc.verifierKeys,
  })
  const ops = auth.claims.ops
  if (ops !== null && !ops.includes(op) && !alsoOps.some((o) => ops.includes(o))) {
    throw new CrumbError(
      'insufficient_scope',
      `the token's ops (${ops.join(',')}) admit neither ${op} nor ${alsoOps.join(', ')} on this route`,
    )
  }
  return auth
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
