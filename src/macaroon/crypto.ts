import { hash, timingSafeEqual } from 'node:crypto'
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

const BLOCK = 64
const DIGEST = 32
/** Messages up to this long (every caveat and identifier in practice) hash from shared scratch. */
const SCRATCH_DATA = 256
// Scratch for the two hash inputs; safe to share because hmac() never yields. The key-derived
// pads are wiped after each call (OpenSSL's HMAC wipes its own), so no secret stays behind.
const innerScratch = new Uint8Array(BLOCK + SCRATCH_DATA)
const outerInput = new Uint8Array(BLOCK + DIGEST)
const scratchViews: Uint8Array[] = []
/** The first `length` bytes of the inner scratch, one view per length, made once. */
function scratchView(length: number): Uint8Array {
  let view = scratchViews[length]
  if (view === undefined) {
    view = innerScratch.subarray(0, length)
    scratchViews[length] = view
  }
  return view
}

/**
 * HMAC-SHA256(key, data) as RFC 2104 writes it, over node's one-shot `crypto.hash` (OpenSSL).
 * Why not `createHmac`: for a 32-byte key and a short caveat its per-call cost (a stream object,
 * a native context, a Buffer) is about 2 µs, of which the hashing is a small part; two one-shot
 * hashes with a binary-string ('latin1') digest cost under half that, and a macaroon chain is
 * nothing but such calls. test/macaroon/hmac.test.ts checks it against `createHmac`.
 */
export function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = key.length > BLOCK ? hash('sha256', key, 'buffer') : key
  const keyLength = k.length
  const dataLength = data.length
  const needed = BLOCK + dataLength
  const innerInput = needed <= innerScratch.length ? innerScratch : new Uint8Array(needed)
  let i = 0
  for (; i < keyLength; i++) {
    const b = k[i] as number
    innerInput[i] = b ^ 0x36
    outerInput[i] = b ^ 0x5c
  }
  if (keyLength < BLOCK) {
    innerInput.fill(0x36, keyLength, BLOCK)
    outerInput.fill(0x5c, keyLength, BLOCK)
  }
  // Caveats are a few dozen bytes: a loop beats TypedArray.set's fixed cost there.
  if (dataLength > 64) innerInput.set(data, BLOCK)
  else for (let j = 0; j < dataLength; j++) innerInput[BLOCK + j] = data[j] as number
  const inner = hash('sha256', innerInput === innerScratch ? scratchView(needed) : innerInput, 'binary')
  innerInput.fill(0, 0, BLOCK)
  for (let j = 0; j < DIGEST; j++) outerInput[BLOCK + j] = inner.charCodeAt(j)
  const outer = hash('sha256', outerInput, 'binary')
  outerInput.fill(0, 0, BLOCK)
  const out = new Uint8Array(DIGEST)
  for (let j = 0; j < DIGEST; j++) out[j] = outer.charCodeAt(j)
  return out
}

/** HMAC(key, HMAC(key, a) ‖ HMAC(key, b)): the chain step of a third-party caveat and of binding. */
export function hmac2(key: Uint8Array, a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(2 * DIGEST)
  joined.set(hmac(key, a), 0)
  joined.set(hmac(key, b), DIGEST)
  return hmac(key, joined)
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
