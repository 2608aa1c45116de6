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
 * The claims object: plain fields, and `revocationId` as an own, enumerable getter that hashes on
 * first read. Why a class: an object literal with a getter cost ~0.5 µs per verification (each
 * literal defines a fresh closure as an accessor, which V8 does in the runtime and which gives
 * every object a map of its own); one shared getter defined on a class instance keeps one map
 * and costs ~0.1 µs. Seen from outside it is what the literal was: same own keys, in the same
 * order, JSON included.
 */
class Claims {
  readonly #signature: Uint8Array
  #revocationId: string | undefined

  static readonly #revocationIdProperty: PropertyDescriptor = {
    get(this: Claims): string {
      this.#revocationId ??= revocationIdOf(this.#signature)
      return this.#revocationId
    },
    enumerable: true,
    configurable: true,
  }

  constructor(
    id: TokenIdentifier,
    scope: EffectiveScope,
    device: string | undefined,
    caveats: readonly string[],
    signature: Uint8Array,
  ) {
    // TokenClaims' fields, assigned in its order (declaring them again here would only repeat it).
    const self = this as unknown as { -readonly [K in keyof TokenClaims]: TokenClaims[K] }
    self.userId = id.userId
    self.tokenId = id.tokenId
    self.kid = id.kid
    self.device = device
    self.ops = scope.ops
    self.orgs = scope.orgs
    self.apps = scope.apps
    self.devices = scope.devices
    self.expiresAt = scope.expiresAt
    self.notBefore = scope.notBefore
    self.caveats = caveats
    this.#signature = signature
    Object.defineProperty(this, 'revocationId', Claims.#revocationIdProperty)
  }
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
  return new Claims(
    parts.id,
    parts.scope,
    parts.device,
    parts.caveats,
    parts.signature,
  ) as unknown as TokenClaims
}
