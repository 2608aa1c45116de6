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
// Scratch for the two hash inputs: [ipad block ‖ data] and [opad block ‖ inner digest]; safe to
// share because no HMAC here yields. At rest the pad blocks hold the bare pads (0x36 / 0x5c, the
// pads of an all-zero key), so a call XORs in only its key's bytes and afterwards writes the bare
// pads back over them: four TypedArray.fill calls per HMAC cost more than both hashes' JS
// overhead, and the write-back also wipes the key-derived pads (OpenSSL's HMAC wipes its own).
const innerScratch = new Uint8Array(BLOCK + SCRATCH_DATA).fill(0x36, 0, BLOCK)
const outerInput = new Uint8Array(BLOCK + DIGEST).fill(0x5c, 0, BLOCK)
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
 * A digest as a 32-character latin1 ('binary') string, one character per byte: what the one-shot
 * hash returns at no extra cost. A chain of HMACs passes its signatures along in this form and
 * turns only the ones it keeps into bytes, rather than allocating a Uint8Array per step.
 */
export type Digest = string

/**
 * The HMAC once the key's bytes are XORed into the first `keyLength` bytes of both pad blocks:
 * hashes ipad ‖ data, then opad ‖ inner digest, and writes the bare pads back.
 */
function padded(keyLength: number, data: Uint8Array): Digest {
  const dataLength = data.length
  const needed = BLOCK + dataLength
  let inner: string
  if (needed <= innerScratch.length) {
    // Caveats are a few dozen bytes: a loop beats TypedArray.set's fixed cost there.
    if (dataLength > 64) innerScratch.set(data, BLOCK)
    else for (let j = 0; j < dataLength; j++) innerScratch[BLOCK + j] = data[j] as number
    inner = hash('sha256', scratchView(needed), 'binary')
  } else {
    const innerInput = new Uint8Array(needed)
    innerInput.set(scratchView(BLOCK), 0)
    innerInput.set(data, BLOCK)
    inner = hash('sha256', innerInput, 'binary')
    innerInput.fill(0, 0, BLOCK)
  }
  for (let j = 0; j < DIGEST; j++) outerInput[BLOCK + j] = inner.charCodeAt(j)
  const outer = hash('sha256', outerInput, 'binary')
  for (let i = 0; i < keyLength; i++) {
    innerScratch[i] = 0x36
    outerInput[i] = 0x5c
  }
  return outer
}

/**
 * HMAC-SHA256(key, data) as RFC 2104 writes it, over node's one-shot `crypto.hash` (OpenSSL),
 * as a latin1 digest string. Why not `createHmac`: for a 32-byte key and a short caveat its
 * per-call cost (a stream object, a native context, a Buffer) is about 2 µs, of which the hashing
 * is a small part; two one-shot hashes with a latin1 digest cost under half that, and a macaroon
 * chain is nothing but such calls. test/macaroon/hmac.test.ts checks it against `createHmac`.
 */
export function hmacDigest(key: Uint8Array, data: Uint8Array): Digest {
  if (key.length > BLOCK) return hmacStep(hash('sha256', key, 'binary'), data)
  const keyLength = key.length
  for (let i = 0; i < keyLength; i++) {
    const b = key[i] as number
    innerScratch[i] = b ^ 0x36
    outerInput[i] = b ^ 0x5c
  }
  return padded(keyLength, data)
}

/**
 * HMAC-SHA256 keyed by a digest string (the previous signature of a chain): one character per
 * key byte, at most one block (64) of them.
 */
export function hmacStep(key: Digest, data: Uint8Array): Digest {
  const keyLength = key.length
  if (keyLength > BLOCK) throw new RangeError('hmacStep: a digest key is at most 64 bytes')
  for (let i = 0; i < keyLength; i++) {
    const b = key.charCodeAt(i)
    innerScratch[i] = b ^ 0x36
    outerInput[i] = b ^ 0x5c
  }
  return padded(keyLength, data)
}

/** The bytes of a digest string. */
export function digestBytes(digest: Digest): Uint8Array {
  const out = new Uint8Array(digest.length)
  for (let j = 0; j < digest.length; j++) out[j] = digest.charCodeAt(j)
  return out
}

/** HMAC-SHA256(key, data) as bytes: `hmacDigest`, copied out. */
export function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return digestBytes(hmacDigest(key, data))
}

/** HMAC(key, HMAC(key, a) ‖ HMAC(key, b)): the chain step of a third-party caveat and of binding. */
export function hmac2(key: Uint8Array, a: Uint8Array, b: Uint8Array): Uint8Array {
  return digestBytes(hmac2Digest(key, a, b))
}

/** `hmac2` as a digest string. */
export function hmac2Digest(key: Uint8Array, a: Uint8Array, b: Uint8Array): Digest {
  const joined = new Uint8Array(2 * DIGEST)
  joined.set(hmac(key, a), 0)
  joined.set(hmac(key, b), DIGEST)
  return hmacDigest(key, joined)
}

/**
 * The key a macaroon chain starts from: HMAC("macaroons-key-generator", rootKey), as libmacaroons,
 * go-macaroon and the npm package all derive it.
 */
export function deriveMacaroonKey(rootKey: Uint8Array): Uint8Array {
  return digestBytes(deriveMacaroonKeyDigest(rootKey))
}

/** `deriveMacaroonKey` as a digest string, to start a chain with. */
export function deriveMacaroonKeyDigest(rootKey: Uint8Array): Digest {
  return hmacDigest(KEY_GENERATOR, rootKey)
}

/**
 * Binds a discharge signature to its primary so the discharge cannot be reused with another
 * macaroon. Binding a signature to itself leaves it unchanged (go-macaroon's rule).
 */
export function bindSignature(primarySignature: Uint8Array, dischargeSignature: Uint8Array): Uint8Array {
  if (constantTimeEqual(primarySignature, dischargeSignature)) return primarySignature
  return hmac2(ZERO_KEY, primarySignature, dischargeSignature)
}

// Two off-heap buffers that short operands are copied into before timingSafeEqual, with one view
// per length, made once.
const compareLeft = new Uint8Array(new ArrayBuffer(BLOCK))
const compareRight = new Uint8Array(new ArrayBuffer(BLOCK))
const compareViews: Array<[Uint8Array, Uint8Array]> = []

/**
 * The one comparison for signatures and secrets: constant time in the content.
 * Why the copy: a Uint8Array of up to 64 bytes made by `new Uint8Array(n)` (a decoded signature,
 * a digest) lives on V8's heap, and timingSafeEqual, like any native call that needs its bytes,
 * first moves each such array's contents out into an ArrayBuffer of its own: ~0.2 µs per operand,
 * four times the comparison. Copying both into fixed off-heap buffers costs a few dozen ns.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = a.byteLength
  if (length !== b.byteLength) return false
  if (length > BLOCK) return timingSafeEqual(a, b)
  let views = compareViews[length]
  if (views === undefined) {
    views = [compareLeft.subarray(0, length), compareRight.subarray(0, length)]
    compareViews[length] = views
  }
  for (let i = 0; i < length; i++) {
    compareLeft[i] = a[i] as number
    compareRight[i] = b[i] as number
  }
  return timingSafeEqual(views[0], views[1])
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
