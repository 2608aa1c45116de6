import { createHmac } from 'node:crypto'
import type { KeyRing } from './keyring.js'

const DOMAIN = 'crumb usage ticket v1\0'

/**
 * Proof that a verifier has seen a token of a key: HMAC(ring[kid], token id). Holders of the key
 * ring (the service, local verifiers) compute it; remote verifiers get it from `POST /v1/verify`.
 * `POST /v1/usage` needs it to update another user's key, so knowing a token id (which anyone
 * holding a token can read) is not enough to forge "last used". Undefined for unknown or retired kids.
 *
 * @example
 * usageTicket(ring, claims.kid, claims.tokenId) // "q3B…" (22 chars)
 */
export function usageTicket(ring: KeyRing, kid: string, tokenId: string): string | undefined {
  const key = ring.keys.get(kid)
  if (key === undefined || key.retiredAt !== undefined) return undefined
  return createHmac('sha256', key.secret)
    .update(DOMAIN)
    .update(tokenId)
    .digest()
    .subarray(0, 16)
    .toString('base64url')
}
