import { createHmac, timingSafeEqual } from 'node:crypto'
import { createRequire } from 'node:module'
import type Nacl from 'tweetnacl'

// tweetnacl is needed only for third-party caveats: load it on first use so commands that never
// see one (attenuate, inspect, most verifications) start faster.
const require = createRequire(import.meta.url)
let naclModule: typeof Nacl | undefined
function nacl(): typeof Nacl {
  naclModule ??= require('tweetnacl') as typeof Nacl
  return naclModule
}

const KEY_GENERATOR = new TextEncoder().encode('macaroons-key-generator')
const ZERO_KEY = new Uint8Array(32)

/** HMAC-SHA256(key, data). */
export function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return createHmac('sha256', key).update(data).digest()
}

/** HMAC(key, HMAC(key, a) ‖ HMAC(key, b)): the chain step of a third-party caveat and of binding. */
export function hmac2(key: Uint8Array, a: Uint8Array, b: Uint8Array): Uint8Array {
  return createHmac('sha256', key).update(hmac(key, a)).update(hmac(key, b)).digest()
}

/**
 * The key a macaroon chain starts from: HMAC("macaroons-key-generator", rootKey), as libmacaroons,
 * go-macaroon and the npm package all derive it.
 */
export function deriveMacaroonKey(rootKey: Uint8Array): Uint8Array {
  return hmac(KEY_GENERATOR, rootKey)
}

/**
 * Binds a discharge signature to its primary so the discharge cannot be reused with another
 * macaroon. Binding a signature to itself leaves it unchanged (go-macaroon's rule).
 */
export function bindSignature(primarySignature: Uint8Array, dischargeSignature: Uint8Array): Uint8Array {
  if (constantTimeEqual(primarySignature, dischargeSignature)) return primarySignature
  return hmac2(ZERO_KEY, primarySignature, dischargeSignature)
}

/** The one comparison for signatures and secrets: constant time in the content. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}

/** nonce(24) ‖ XSalsa20-Poly1305(secret, nonce, key). */
export function sealSecret(key: Uint8Array, secret: Uint8Array, nonce: Uint8Array): Uint8Array {
  const box = nacl().secretbox(secret, nonce, key)
  const out = new Uint8Array(nonce.byteLength + box.byteLength)
  out.set(nonce, 0)
  out.set(box, nonce.byteLength)
  return out
}

/** Opens what sealSecret made; undefined when it was not sealed under this key. */
export function openSecret(key: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (sealed.byteLength < nacl().secretbox.nonceLength + nacl().secretbox.overheadLength) return undefined
  const nonce = sealed.subarray(0, nacl().secretbox.nonceLength)
  const box = sealed.subarray(nacl().secretbox.nonceLength)
  return nacl().secretbox.open(box, nonce, key) ?? undefined
}

/** 24 random bytes for a secretbox nonce. */
export function randomNonce(): Uint8Array {
  return nacl().randomBytes(nacl().secretbox.nonceLength)
}
