import { defaultRegistry, effectiveScope } from '../../../caveats/index.js'
import { formatInstant } from '../../../caveats/lib/instant.js'
import { attenuate, type KeyRing, mintRootToken } from '../../token/index.js'

/** Lifetime of an access token: DESIGN.md's `expires = now + 1h`. */
export const ACCESS_TOKEN_TTL_MS = 60 * 60_000

/** The grant an access token is cut from: a key of source `oauth`, as stored. */
export interface GrantKey {
  /** The key's token id (`tok_…`). */
  readonly tokenId: string
  readonly userId: string
  /** The ring key the grant was minted under: its access tokens are re-minted under it, so a key-ring rotation leaves them valid. */
  readonly kid: string
  /** The root token's caveats, `expires` first, exactly as minted (the root token is re-minted from them). */
  readonly rootCaveats: readonly string[]
}

/** An access token and what the token response says about it. */
export interface IssuedAccessToken {
  readonly accessToken: string
  /** Seconds until it expires (RFC 6749 `expires_in`). */
  readonly expiresIn: number
  readonly expiresAt: Date
}

/**
 * Cuts an access token from a grant: the grant's root token (re-minted from its identifier and
 * caveats: the service stores no token) attenuated with `aud = <resource>` and `expires = now + 1h`,
 * never past the grant's own expiry. It is an ordinary crumb token, verifiable locally by any
 * crumb verifier whose audience is the resource, and it dies with its grant's key.
 *
 * @example
 * const { accessToken, expiresIn } = issueAccessToken({ ring, grant, resource: 'https://deploy.example', now })
 */
export function issueAccessToken(options: {
  ring: KeyRing
  grant: GrantKey
  /** Canonical audience (see `canonicalAudience`). */
  resource: string
  now: Date
  ttlMs?: number
  /** Further caveats (a refresh that asks for a narrower scope). */
  extraCaveats?: readonly string[]
}): IssuedAccessToken {
  const { grant, now } = options
  const root = mintRootToken({
    ring: options.ring,
    userId: grant.userId,
    tokenId: grant.tokenId,
    kid: grant.kid,
    caveats: grant.rootCaveats,
  })
  const grantEnd = effectiveScope(grant.rootCaveats.map((t) => defaultRegistry().parseCaveat(t))).expiresAt
  const wanted = now.getTime() + (options.ttlMs ?? ACCESS_TOKEN_TTL_MS)
  // Whole seconds, so the caveat text and expires_in agree; never past the grant's own expiry.
  const expiresAt = new Date(Math.floor(Math.min(wanted, grantEnd?.getTime() ?? wanted) / 1000) * 1000)
  const accessToken = attenuate(root.token, [
    `aud = ${options.resource}`,
    `expires = ${formatInstant(expiresAt.getTime())}`,
    ...(options.extraCaveats ?? []),
  ])
  // rounded down: `expires_in` never promises a second the token does not have
  return { accessToken, expiresIn: Math.floor((expiresAt.getTime() - now.getTime()) / 1000), expiresAt }
}
