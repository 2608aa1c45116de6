import { hash } from 'node:crypto'
import { constantTimeEqual } from '../../macaroon/crypto.js'

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/
/** An S256 challenge: base64url (no padding) of a SHA-256 digest, always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/

/**
 * Whether a `code_verifier` has RFC 7636's shape.
 *
 * @example
 * isCodeVerifier('a'.repeat(43)) // true
 */
export function isCodeVerifier(verifier: string): boolean {
  return VERIFIER.test(verifier)
}

/**
 * Whether a `code_challenge` can be an S256 challenge (the only method crumb takes).
 *
 * @example
 * isS256Challenge('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM') // true
 */
export function isS256Challenge(challenge: string): boolean {
  return S256_CHALLENGE.test(challenge)
}

/**
 * The S256 challenge of a verifier: base64url(SHA-256(ASCII(verifier))).
 *
 * @example
 * s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk') // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
 */
export function s256Challenge(verifier: string): string {
  return hash('sha256', verifier, 'base64url')
}

/**
 * Checks a `code_verifier` against the stored S256 `code_challenge` (RFC 7636 §4.6), comparing in
 * constant time. A verifier of the wrong shape fails without being hashed.
 *
 * @example
 * verifyPkceS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM') // true
 */
export function verifyPkceS256(verifier: string, challenge: string): boolean {
  if (!isCodeVerifier(verifier) || !isS256Challenge(challenge)) return false
  return constantTimeEqual(Buffer.from(s256Challenge(verifier), 'latin1'), Buffer.from(challenge, 'latin1'))
}
