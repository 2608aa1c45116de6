import type { NextFunction, Request, RequestHandler, Response } from 'express'
import * as z from 'zod'
import { CrumbError } from '../errors.js'
import type { KeyRecord, Store, UserRecord } from '../store/index.js'
import {
  decodeIdentifier,
  decodeTokenList,
  type KeyRing,
  type TokenClaims,
  verifyToken,
} from '../token/index.js'
import { presentedToken } from '../wire/token.js'
import type { Clock } from './clock.js'
import { requestMeta } from './context.js'
import type { RevocationFeed } from './feed.js'
import { parseRequest } from './problem.js'
import type { UsageBuffer } from './usage-buffer.js'

/** Who is calling, established by {@link createAuthenticate}. Holds no token. */
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

/** The `Crumb-Device` header: absent, or 1 to 128 characters once trimmed. */
const deviceHeader = z
  .string()
  .trim()
  .min(1, 'Crumb-Device is empty')
  .max(128, 'Crumb-Device is too long')
  .optional()

/**
 * The token a request presents: `Authorization: Bearer crumb_…[,discharges]`, else `X-API-Key`.
 *
 * @example
 * tokenOf(req) // 'crumb_AgEL…' or undefined
 */
function tokenOf(req: Request): string | undefined {
  const presented = presentedToken(req.headers)
  // Another Authorization scheme is refused even when X-API-Key is set: the client meant something else.
  if (
    req.headers.authorization !== undefined &&
    (presented.kind !== 'token' || presented.header !== 'authorization')
  ) {
    throw new CrumbError('invalid_token', 'Authorization header is not a Bearer token')
  }
  return presented.kind === 'token' ? presented.token : undefined
}

/**
 * Number of caveats (first- and third-party) on the primary macaroon of a token list, and
 * whether discharges travel with it.
 */
function shapeOf(token: string | readonly string[]): { caveats: number; discharges: number } {
  const [primary, ...discharges] = decodeTokenList(token)
  return { caveats: primary.caveats.length, discharges: discharges.length }
}

/**
 * Is `token` the root token of `key`? Root tokens carry exactly the caveats the service minted
 * (an `expires` plus the key's own); attenuation only appends, and a token with a valid signature
 * and the root's caveat count can only be the root itself.
 */
function isRootToken(token: string | readonly string[], key: Pick<KeyRecord, 'caveats'>): boolean {
  const shape = shapeOf(token)
  return shape.discharges === 0 && shape.caveats === key.caveats.length + 1
}

/** Dependencies of {@link createAuthenticate}. */
export interface AuthDeps {
  readonly store: Store
  readonly ring: KeyRing
  readonly feed: RevocationFeed
  readonly usage: UsageBuffer
  readonly clock: Clock
  readonly leewayMs: number
}

/**
 * Why a key no longer works, for the 401's detail: the unused-key job says since when (#18 item 5).
 *
 * @example
 * revokedDetail(key) // 'this key was revoked for being unused since 2026-01-01 (no use for 90 days)'
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
function whyRevoked(deps: AuthDeps, token: string | readonly string[], error: unknown): unknown {
  if (!(error instanceof CrumbError) || error.code !== 'token_revoked') return error
  try {
    const [primary] = decodeTokenList(token)
    const id = decodeIdentifier(primary.identifierText)
    const key = deps.store.keys.get(id.tokenId)
    if (key === undefined || key.userId !== id.userId || key.revokedReason !== 'unused') return error
    return new CrumbError('token_revoked', revokedDetail(key), { cause: error })
  } catch {
    return error
  }
}

/**
 * Verifies a token as the service's own API sees it and checks the key row behind it. Request
 * facts: ip = `req.ip`, device = `Crumb-Device`, op = `read` for GET / HEAD else `write`; the
 * service's routes declare no org or app, so tokens limited to one are refused (fail closed).
 * Throws the CrumbError a verifier would.
 *
 * @example
 * const auth = authenticateToken(deps, token, { ip: '127.0.0.1', op: 'read' })
 */
export function authenticateToken(
  deps: AuthDeps,
  token: string | readonly string[],
  request: { ip?: string; device?: string; op?: string; org?: string; app?: string },
  options: { deferred?: ReadonlySet<'org' | 'app' | 'op'>; audience?: string } = {},
): AuthContext {
  deps.feed.sync()
  const now = deps.clock.now()
  let claims: TokenClaims
  try {
    claims = verifyToken(token, {
      keys: deps.ring,
      revocations: deps.feed.list,
      request,
      now,
      leewayMs: deps.leewayMs,
      ...(options.deferred === undefined ? {} : { deferred: options.deferred }),
      audience: options.audience,
    })
  } catch (error) {
    throw whyRevoked(deps, token, error)
  }
  const key = deps.store.keys.get(claims.tokenId, now)
  if (key === undefined || key.userId !== claims.userId) throw new CrumbError('invalid_token', 'unknown key')
  if (key.revokedAt !== null) throw new CrumbError('token_revoked', revokedDetail(key))
  // a rotated key whose grace period has ended is dead now, not when the periodic job gets to it
  if (key.revokeAfter !== null && new Date(key.revokeAfter).getTime() <= now.getTime()) {
    throw new CrumbError('token_revoked', 'token has been revoked (rotation grace period ended)')
  }
  const user = deps.store.users.get(key.userId)
  if (user === undefined) throw new CrumbError('invalid_token', 'unknown user')
  return { claims, key, user, isRoot: isRootToken(token, key) }
}

/** What {@link createAuthenticate} takes besides its dependencies. */
export interface AuthenticateOptions {
  /**
   * Ops admitted on these routes besides the method's own (`read` for GET, else `write`): the
   * feed, `POST /v1/verify` and `POST /v1/usage` also admit `verify`, so a verifier's service token
   * (`ops = verify`) can do those and nothing else.
   */
  readonly alsoOps?: readonly string[]
}

const OP_ONLY: ReadonlySet<'op'> = new Set(['op'])

/**
 * Express middleware: authenticates the request (see {@link authenticateToken}), records the use
 * (batched) and stores the {@link AuthContext} for {@link authOf}.
 *
 * @example
 * router.get('/whoami', authenticate, (req, res) => res.json(authOf(res).user))
 * const forVerifiers = createAuthenticate(deps, { alsoOps: ['verify'] })
 */
export function createAuthenticate(deps: AuthDeps, options: AuthenticateOptions = {}): RequestHandler {
  const alsoOps = options.alsoOps ?? []
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = tokenOf(req)
    if (token === undefined) throw new CrumbError('invalid_token', 'no token presented')
    const device = parseRequest(deviceHeader, req.get('crumb-device'), 'header')
    const op = req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write'
    const meta = requestMeta(req)
    const facts = {
      ...(meta.ip === null ? {} : { ip: meta.ip }),
      ...(device === undefined ? {} : { device }),
    }
    let auth: AuthContext
    if (alsoOps.length === 0) {
      auth = authenticateToken(deps, token, { op, ...facts })
    } else {
      // the op is judged here: the method's op, or one of the route's extra ops
      auth = authenticateToken(deps, token, facts, { deferred: OP_ONLY })
      const ops = auth.claims.ops
      if (ops !== null && !ops.includes(op) && !alsoOps.some((o) => ops.includes(o))) {
        throw new CrumbError(
          'insufficient_scope',
          `the token's ops (${ops.join(',')}) admit neither ${op} nor ${alsoOps.join(', ')} on this route`,
        )
      }
    }
    deps.usage.record({ tokenId: auth.key.id, at: deps.clock.now(), ip: meta.ip, userAgent: meta.userAgent })
    res.locals.auth = auth
    next()
  }
}

/**
 * The caller of an authenticated route.
 *
 * @example
 * const { user, key } = authOf(res)
 */
export function authOf(res: Response): AuthContext {
  const auth: unknown = res.locals.auth
  if (auth === undefined) throw new Error('route is not behind authenticate')
  return auth as AuthContext
}

/**
 * Minting keys (create, rotate, approving a device) needs an unrestricted caller: the root token
 * of a key created without caveats. Otherwise an attenuated or restricted token could mint itself
 * a broader one.
 *
 * @example
 * requireUnrestricted(authOf(res))
 */
export function requireUnrestricted(auth: AuthContext): void {
  if (!auth.isRoot || auth.key.caveats.length > 0) {
    throw new CrumbError('insufficient_scope', 'minting keys needs an unrestricted, unattenuated key')
  }
}
