import { Buffer } from 'node:buffer'

const encoder = new TextEncoder()
// ignoreBOM keeps a leading U+FEFF: a caveat or identifier must round-trip byte for byte.
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** UTF-8 bytes of a string, or a copy of the bytes (a Macaroon never aliases a caller's buffer). */
export function toBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? utf8Bytes(input) : new Uint8Array(input)
}

/** UTF-8 bytes of a string. Caveats are short ASCII text: copy those by hand (hot path of attenuate). */
function utf8Bytes(text: string): Uint8Array {
  if (text.length > 256) return encoder.encode(text)
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c > 0x7f) return encoder.encode(text)
    out[i] = c
  }
  return out
}

/** Decodes UTF-8, or returns undefined when the bytes are not valid UTF-8. */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  // The native fatal decoder is the fastest path for the short ASCII caveats of the hot path too
  // (about 70 ns, against 150 ns for an ASCII scan plus a latin1 Buffer view).
  try {
    return strictDecoder.decode(bytes)
  } catch {
    return undefined
  }
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** URL-safe base64 without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** Bytes `base64IntoScratch` decodes at most (48 KiB: a 64 KiB token). */
const SCRATCH_BYTES = 48 * 1024
// One buffer of its own (not from Buffer's pool), reused by every decode.
const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES)
// The same bytes as a plain Uint8Array: what callers get, so the decoders that read them see one
// kind of array (a Buffer view there as well would make their element reads polymorphic).
const scratchBytes = new Uint8Array(scratch.buffer, scratch.byteOffset, SCRATCH_BYTES)

/**
 * Decodes base64 in its canonical form, URL-safe and unpadded ('base64url') or standard and
 * padded ('base64'), into shared scratch, and returns a view of the decoded bytes, valid only
 * until the next call: the caller must copy what it keeps (decodeV2 copies every field).
 * Undefined for anything else (a character outside the alphabet, missing or extra padding,
 * non-zero trailing bits, more than 48 KiB), which the caller then decodes the lenient way.
 *
 * Why: a fresh Uint8Array of over 64 bytes lives outside V8's heap and costs ~0.2 µs to
 * allocate (and more to collect), and a regular expression over a 300-character token another
 * ~0.2 µs. Node's native decoder writes into the scratch in ~70 ns, and it skips characters it
 * does not know, so the check is to encode the bytes again and compare: only canonical text
 * round-trips, so what passes is exactly what `Buffer.from(text, encoding)` decodes it to
 * (test/macaroon/base64-scratch.test.ts holds this for every length and for invalid input).
 */
export function base64IntoScratch(text: string, encoding: 'base64url' | 'base64'): Uint8Array | undefined {
  if (text.length === 0 || (text.length * 3) >> 2 > SCRATCH_BYTES) return undefined
  const n = scratch.write(text, 0, encoding)
  if (scratch.toString(encoding, 0, n) !== text) return undefined
  return scratchBytes.subarray(0, n)
}

const BASE64_ANY = /^[A-Za-z0-9+/_-]*={0,2}$/

/**
 * Decodes standard or URL-safe base64, padded or not. Mixed alphabets, bad padding and stray
 * characters are refused (undefined), as go-macaroon's Base64Decode does.
 */
export function fromBase64Lenient(text: string): Uint8Array | undefined {
  if (!BASE64_ANY.test(text)) return undefined
  const pad = text.indexOf('=')
  const body = pad === -1 ? text : text.slice(0, pad)
  if (body.length % 4 === 1) return undefined
  if (pad !== -1 && text.length % 4 !== 0) return undefined
  const hasStd = /[+/]/.test(body)
  const hasUrl = /[-_]/.test(body)
  if (hasStd && hasUrl) return undefined
  return new Uint8Array(Buffer.from(body, hasStd ? 'base64' : 'base64url'))
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

/** Byte-wise equality for identifiers (not for secrets: see constantTimeEqual). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0
}
