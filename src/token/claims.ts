import type { EffectiveScope } from '../../caveats/index.js'
import { utf8OrUndefined } from '../macaroon/bytes.js'
import type { Macaroon } from '../macaroon/macaroon.js'
import type { TokenIdentifier } from './identifier.js'
import { revocationIdOf } from './revocation.js'

/** What a verified token grants: who, which key, and the effective (intersected) scope. */
export interface TokenClaims {
  readonly userId: string
  readonly tokenId: string
  readonly kid: string
  /** The device the request declared, when it declared one. */
  readonly device: string | undefined
  /** Admitted operations, orgs, apps, devices; null means unrestricted. */
  readonly ops: readonly string[] | null
  readonly orgs: readonly string[] | null
  readonly apps: readonly string[] | null
  readonly devices: readonly string[] | null
  readonly expiresAt: Date | null
  readonly notBefore: Date | null
  /** First-party caveat texts of the primary token, in order. */
  readonly caveats: readonly string[]
  /** Revocation id of the presented token (revoke exactly this token and its descendants). */
  readonly revocationId: string
}

/**
 * First-party caveat texts of a macaroon, in order. Third-party caveats are proven by their
 * discharges, not checked as predicates; a caveat that is not UTF-8 becomes U+FFFD (no kind
 * parses it, so it fails closed).
 *
 * @example
 * caveatTexts(decodeToken(token)) // ['expires = …', 'ops = read']
 */
export function caveatTexts(m: Pick<Macaroon, 'caveats'>): string[] {
  const out: string[] = []
  for (const c of m.caveats) {
    if (c.verificationId === undefined) out.push(utf8OrUndefined(c.identifier) ?? '\uFFFD')
  }
  return out
}

/**
 * Claims from what verification established. `revocationId` is computed on first read (it costs
 * a hash, and most requests never need it); it is enumerable, so JSON includes it.
 *
 * @example
 * const claims = claimsOf({ id, scope, device: 'ci-7', caveats, signature: primary.signature })
 */
export function claimsOf(parts: {
  id: TokenIdentifier
  scope: EffectiveScope
  device: string | undefined
  caveats: readonly string[]
  signature: Uint8Array
}): TokenClaims {
  const { id, scope, signature } = parts
  let revocationId: string | undefined
  return {
    userId: id.userId,
    tokenId: id.tokenId,
    kid: id.kid,
    device: parts.device,
    ops: scope.ops,
    orgs: scope.orgs,
    apps: scope.apps,
    devices: scope.devices,
    expiresAt: scope.expiresAt,
    notBefore: scope.notBefore,
    caveats: parts.caveats,
    get revocationId(): string {
      revocationId ??= revocationIdOf(signature)
      return revocationId
    },
  }
}
