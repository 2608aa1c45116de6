import { hash, randomBytes } from 'node:crypto'
import { constantTimeEqual } from '../../macaroon/crypto.js'

/**
 * What each kind of OAuth secret starts with. Each is `crumb_` + a kind + 256 random bits, so secret
 * scanners that know crumb tokens (`crumb_[A-Za-z0-9_-]{40,}`) catch them too, and a presented value
 * says what it claims to be.
 */
export const SECRET_PREFIX = {
  refreshToken: 'crumb_rt_',
  clientSecret: 'crumb_cs_',
  authorizationCode: 'crumb_ac_',
} as const

/** One of the kinds of {@link SECRET_PREFIX}. */
export type SecretKind = keyof typeof SECRET_PREFIX

const SHAPE = /^crumb_(rt|cs|ac)_[A-Za-z0-9_-]{43}$/

/**
 * A new secret of a kind: its prefix and 32 random bytes, base64url.
 *
 * @example
 * newSecret('refreshToken') // 'crumb_rt_Xk3…' (52 characters)
 */
export function newSecret(kind: SecretKind): string {
  return SECRET_PREFIX[kind] + randomBytes(32).toString('base64url')
}

/**
 * Whether a presented value has the shape of a secret of that kind (checked before any lookup).
 *
 * @example
 * isSecretOf('refreshToken', newSecret('refreshToken')) // true
 */
export function isSecretOf(kind: SecretKind, value: string): boolean {
  return value.startsWith(SECRET_PREFIX[kind]) && SHAPE.test(value)
}

/**
 * What is stored instead of a secret: its SHA-256, base64url. The secrets carry 256 random bits, so
 * a plain hash (no salt, no stretching) cannot be reversed, and it can be looked up by equality.
 *
 * @example
 * await store.oauth.findRefresh(secretHash(presented))
 */
export function secretHash(secret: string): string {
  return hash('sha256', secret, 'base64url')
}

/**
 * Compares a presented secret with a stored hash in constant time.
 *
 * @example
 * if (!secretMatches(presented, client.secretHash)) throw new OAuthError('invalid_client', 'bad secret')
 */
export function secretMatches(presented: string, storedHash: string): boolean {
  return constantTimeEqual(Buffer.from(secretHash(presented)), Buffer.from(storedHash))
}
