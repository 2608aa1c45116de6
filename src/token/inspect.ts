import {
  type CaveatRegistry,
  defaultRegistry,
  effectiveScope,
  type ParsedCaveat,
} from '../../caveats/index.js'
import { toBase64Url, utf8OrUndefined } from '../macaroon/bytes.js'
import type { Macaroon } from '../macaroon/macaroon.js'
import { decodeTokenList, tokenHint } from './format.js'
import { decodeIdentifier, type TokenIdentifier } from './identifier.js'
import { revocationIdOf } from './revocation.js'

/** One caveat as `inspect` shows it. */
export interface InspectedCaveat {
  readonly index: number
  /** Caveat text (first-party) or the caveat id (third-party; base64url when binary). */
  readonly text: string
  readonly thirdParty: boolean
  readonly location?: string
  /** Caveat kind name when it parses; undefined for unknown or malformed (which fail closed). */
  readonly kind?: string
  readonly valid: boolean
}

/** Everything readable from a token without its secret. */
export interface TokenInspection {
  readonly location: string
  /** Crumb identifier fields, or undefined for a foreign macaroon. */
  readonly identifier: TokenIdentifier | undefined
  readonly identifierText: string
  readonly caveats: readonly InspectedCaveat[]
  readonly scope: ReturnType<typeof effectiveScope>
  /** True when an `expires` caveat has passed (no leeway) or a `not-before` is ahead. */
  readonly expired: boolean
  readonly hint: string
  readonly revocationId: string
  readonly discharges: number
}

/**
 * Decodes a token and explains it: identifier fields, each caveat, and the effective scope
 * (intersected orgs / apps / ops, earliest expiry). Needs no key and proves nothing.
 *
 * @example
 * const info = inspectToken('crumb_AgEL…')
 * info.scope.ops // ['read']
 */
export function inspectToken(
  token: string | readonly string[],
  options: { registry?: CaveatRegistry; now?: Date } = {},
): TokenInspection {
  const registry = options.registry ?? defaultRegistry()
  const [primary, ...discharges] = decodeTokenList(token)
  let identifier: TokenIdentifier | undefined
  try {
    identifier = decodeIdentifier(primary.identifierText)
  } catch {
    identifier = undefined
  }
  const parsed: ParsedCaveat[] = []
  const caveats = primary.caveats.map((c, index): InspectedCaveat => {
    const utf8 = utf8OrUndefined(c.identifier)
    const text = utf8 ?? toBase64Url(c.identifier)
    const location = c.location === undefined ? {} : { location: c.location }
    if (c.verificationId !== undefined) return { index, text, thirdParty: true, valid: true, ...location }
    try {
      const p = registry.parseCaveat(utf8 ?? '')
      parsed.push(p)
      return { index, text, thirdParty: false, kind: p.kind.name, valid: true, ...location }
    } catch {
      return { index, text, thirdParty: false, valid: false, ...location }
    }
  })
  const scope = effectiveScope(parsed)
  const now = (options.now ?? new Date()).getTime()
  const expired =
    (scope.expiresAt !== null && now >= scope.expiresAt.getTime()) ||
    (scope.notBefore !== null && now < scope.notBefore.getTime())
  return {
    location: primary.location,
    identifier,
    identifierText: primary.identifierText ?? toBase64Url(primary.identifier),
    caveats,
    scope,
    expired,
    hint: tokenHint(primary as Macaroon),
    revocationId: revocationIdOf(primary.signature),
    discharges: discharges.length,
  }
}
