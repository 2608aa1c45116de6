import type { Request } from 'express'
import { CrumbError } from '../errors.js'
import type { TokenClaims } from '../token/claims.js'
import { getCrumbSlot, setCrumbSlot } from './request-slot.js'

/** Where `req.crumb` keeps the full claims: a module-private symbol (not in JSON, not spoofable). */
const CLAIMS = Symbol('crumb.claims')

/**
 * `req.crumb` as the verifier builds it: the public fields, plus the full claims under a private
 * symbol (`require` needs them; JSON output and hand-made objects do not carry them).
 */
class VerifiedAuth {
  /** `usr_…`: the token's owner. */
  readonly userId: string
  /** `tok_…`: the root token this one derives from (the key as the token service lists it). */
  readonly tokenId: string
  /** The device the request declared (`Crumb-Device`), when it declared one. */
  readonly device: string | undefined
  /** Operations, orgs and apps the token admits; null means unrestricted. */
  readonly ops: readonly string[] | null
  readonly orgs: readonly string[] | null
  readonly apps: readonly string[] | null
  /** The earliest `expires` among the caveats, or null. */
  readonly expiresAt: Date | null
  /** First-party caveat texts of the token, in order. */
  readonly caveats: readonly string[]
  readonly [CLAIMS]: TokenClaims

  constructor(claims: TokenClaims) {
    this.userId = claims.userId
    this.tokenId = claims.tokenId
    this.device = claims.device
    this.ops = claims.ops
    this.orgs = claims.orgs
    this.apps = claims.apps
    this.expiresAt = claims.expiresAt
    this.caveats = claims.caveats
    this[CLAIMS] = claims
  }
}

/**
 * What a route handler learns about the token behind a request (`req.crumb`).
 *
 * @example
 * app.get('/me', (req, res) => res.json({ user: req.crumb?.userId, readOnly: req.crumb?.ops?.join() === 'read' }))
 */
export type CrumbAuth = Omit<VerifiedAuth, typeof CLAIMS>

declare global {
  namespace Express {
    interface Request {
      /** Set by `crumb.verifier()` once the request's token verified; assign undefined to drop it. */
      crumb?: CrumbAuth | undefined
    }
  }
}

/**
 * `req.crumb` of claims the verifiers share between requests (frozen, see `shareable`): built
 * once per claims object, frozen too, so a repeated token costs no allocation here.
 */
const sharedAuth = new WeakMap<TokenClaims, VerifiedAuth>()

/** Records the claims of a verified request as `req.crumb` (see `request-slot.ts` for where they live). */
export function attachClaims(req: Request, claims: TokenClaims): CrumbAuth {
  let auth = sharedAuth.get(claims)
  if (auth === undefined) {
    auth = new VerifiedAuth(claims)
    if (Object.isFrozen(claims)) sharedAuth.set(claims, Object.freeze(auth))
  }
  setCrumbSlot(req, auth)
  return auth
}

/** The full claims the verifier recorded for a request, if it verified one. */
export function verifiedClaims(req: Request): TokenClaims | undefined {
  const auth = getCrumbSlot(req)
  return auth instanceof VerifiedAuth ? auth[CLAIMS] : undefined
}

/**
 * `req.crumb`, or a 401 CrumbError when the request carries no verified token (the route is not
 * behind `verifier()`, or `credentialsRequired: false` let it through without one).
 *
 * @example
 * app.get('/me', (req, res) => res.json({ user: crumbOf(req).userId }))
 */
export function crumbOf(req: Request): CrumbAuth {
  const auth = getCrumbSlot(req)
  if (!(auth instanceof VerifiedAuth))
    throw new CrumbError('invalid_token', 'request carries no verified token')
  return auth
}
