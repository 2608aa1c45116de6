/**
 * An HMAC issue #21 measured against the one crumb keeps (two one-shot `crypto.hash` calls,
 * src/macaroon/crypto.ts): RFC 2104 over a SHA-256 written in plain JavaScript that reuses its
 * state and message-schedule arrays. Kept here so `npm run bench` shows the comparison; checked
 * against `createHmac` and the NIST / RFC 4231 vectors by test/macaroon/hmac.test.ts.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
])
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
])
const W = new Int32Array(64)

function compress(st: Int32Array, b: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const j = off + 4 * i
    W[i] = (b[j]! << 24) | (b[j + 1]! << 16) | (b[j + 2]! << 8) | b[j + 3]!
  }
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!
    const y = W[i - 2]!
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0
  }
  let a = st[0]!
  let bb = st[1]!
  let c = st[2]!
  let d = st[3]!
  let e = st[4]!
  let f = st[5]!
  let g = st[6]!
  let h = st[7]!
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const t1 = (h + s1 + (g ^ (e & (f ^ g))) + K[i]! + W[i]!) | 0
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const t2 = (s0 + ((a & bb) | (c & (a | bb)))) | 0
    h = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = bb
    bb = a
    a = (t1 + t2) | 0
  }
  st[0] = (st[0]! + a) | 0
  st[1] = (st[1]! + bb) | 0
  st[2] = (st[2]! + c) | 0
  st[3] = (st[3]! + d) | 0
  st[4] = (st[4]! + e) | 0
  st[5] = (st[5]! + f) | 0
  st[6] = (st[6]! + g) | 0
  st[7] = (st[7]! + h) | 0
}

const pad = new Uint8Array(128)

/** Hashes `prefix` (one 64-byte block, already compressed into `st`) ‖ `data` to 32 bytes. */
function finish(st: Int32Array, data: Uint8Array, prefix: number, out: Uint8Array): void {
  let off = 0
  for (; data.length - off >= 64; off += 64) compress(st, data, off)
  const rest = data.length - off
  pad.fill(0)
  pad.set(data.subarray(off), 0)
  pad[rest] = 0x80
  const blocks = rest >= 56 ? 2 : 1
  const bits = (data.length + prefix) * 8
  const end = blocks * 64
  pad[end - 4] = bits >>> 24
  pad[end - 3] = bits >>> 16
  pad[end - 2] = bits >>> 8
  pad[end - 1] = bits
  pad[end - 5] = Math.floor(bits / 2 ** 32)
  for (let i = 0; i < blocks; i++) compress(st, pad, 64 * i)
  for (let i = 0; i < 8; i++) {
    const w = st[i]!
    out[4 * i] = w >>> 24
    out[4 * i + 1] = w >>> 16
    out[4 * i + 2] = w >>> 8
    out[4 * i + 3] = w
  }
}

/**
 * SHA-256 of `data` in plain JavaScript.
 *
 * @example
 * sha256Js(new TextEncoder().encode('abc')) // ba7816bf…
 */
export function sha256Js(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  finish(Int32Array.from(IV), data, 0, out)
  return out
}

const keyBlock = new Uint8Array(64)
const inner = new Int32Array(8)
const outer = new Int32Array(8)
const innerDigest = new Uint8Array(32)

/**
 * HMAC-SHA256 (RFC 2104) over the JavaScript SHA-256, reusing its state and schedule arrays.
 *
 * @example
 * hmacJs(key, new TextEncoder().encode('org = acme'))
 */
export function hmacJs(key: Uint8Array, data: Uint8Array): Uint8Array {
  keyBlock.fill(0)
  if (key.length > 64) finish(Int32Array.from(IV), key, 0, keyBlock)
  else keyBlock.set(key)
  for (let i = 0; i < 64; i++) keyBlock[i] = keyBlock[i]! ^ 0x36
  inner.set(IV)
  compress(inner, keyBlock, 0)
  finish(inner, data, 64, innerDigest)
  for (let i = 0; i < 64; i++) keyBlock[i] = keyBlock[i]! ^ 0x36 ^ 0x5c
  outer.set(IV)
  compress(outer, keyBlock, 0)
  const out = new Uint8Array(32)
  finish(outer, innerDigest, 64, out)
  keyBlock.fill(0)
  return out
}
