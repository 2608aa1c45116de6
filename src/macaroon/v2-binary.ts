import { Buffer } from 'node:buffer'
import { utf8OrUndefined } from './bytes.js'
import { LIMITS } from './limits.js'
import { malformed } from './malformed.js'
import type { Caveat, MacaroonData } from './types.js'

// Field types of the V2 binary format (libmacaroons / go-macaroon).
const EOS = 0
const LOCATION = 1
const IDENTIFIER = 2
const VID = 4
const SIGNATURE = 6

/**
 * A cursor over untrusted bytes; every read is bounds-checked. `next()` only locates a field's
 * data (`start`, `length`); a section copies it out once the field's type is known to be allowed.
 */
class Reader {
  readonly bytes: Uint8Array
  readonly end: number
  pos: number
  /** Where the data of the field `next()` read last starts, and its length (0 for EOS). */
  start = 0
  length = 0

  constructor(bytes: Uint8Array, pos: number) {
    this.bytes = bytes
    this.end = bytes.byteLength
    this.pos = pos
  }

  varint(): number {
    const bytes = this.bytes
    let pos = this.pos
    if (pos >= this.end) throw malformed('unterminated varint')
    let b = bytes[pos++]!
    // Types and lengths below 128 (nearly all) are one byte.
    if (b < 0x80) {
      this.pos = pos
      return b
    }
    let value = b & 0x7f
    let scale = 128
    for (let shift = 7; ; shift += 7) {
      if (pos >= this.end) throw malformed('unterminated varint')
      b = bytes[pos++]!
      // Lengths above 2^28 cannot be real (tokens are capped at 64 KiB); refuse before overflow.
      if (shift > 21 && b > 0x0f) throw malformed('varint out of range')
      value += (b & 0x7f) * scale
      if ((b & 0x80) === 0) {
        this.pos = pos
        return value
      }
      scale *= 128
    }
  }

  /** Reads one field: returns its type, and leaves where its data is in `start` / `length`. */
  next(): number {
    const type = this.varint()
    if (type === EOS) {
      this.length = 0
      return EOS
    }
    const length = this.varint()
    if (length > this.end - this.pos) throw malformed('field data too long')
    this.start = this.pos
    this.length = length
    this.pos += length
    return type
  }

  /** A copy of the data of the field `next()` read last. */
  data(): Uint8Array {
    return copyOf(this.bytes, this.start, this.length)
  }

  /**
   * Fields up to the next EOS into `out` (indexed by type), strictly increasing in type and
   * each one allowed by the `allowed` bitmask. Returns how many fields the section held.
   */
  section(out: Array<Uint8Array | undefined>, allowed: number, where: string): number {
    out[LOCATION] = undefined
    out[IDENTIFIER] = undefined
    out[VID] = undefined
    let last = -1
    let count = 0
    for (;;) {
      const type = this.next()
      if (type === EOS) return count
      if (type <= last) throw malformed('fields out of order')
      if (type > 30 || ((1 << type) & allowed) === 0) throw malformed(`unexpected field ${type} in ${where}`)
      last = type
      out[type] = this.data()
      count++
    }
  }
}

/**
 * A copy of `length` bytes at `start`: decoded fields never alias the input, so a caller may
 * decode from shared scratch (base64IntoScratch) or reuse its buffer. Fields up to 64 bytes
 * (identifiers, caveats, the signature) are allocated on V8's heap, so the copy costs about what
 * a subarray view did.
 */
function copyOf(bytes: Uint8Array, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  if (length > 64) out.set(bytes.subarray(start, start + length))
  else for (let i = 0; i < length; i++) out[i] = bytes[start + i] as number
  return out
}

function text(data: Uint8Array | undefined, what: string): string | undefined {
  if (data === undefined) return undefined
  const s = utf8OrUndefined(data)
  if (s === undefined) throw malformed(`${what} is not UTF-8`)
  return s
}

const HEADER_FIELDS = (1 << LOCATION) | (1 << IDENTIFIER)
const CAVEAT_FIELDS = (1 << LOCATION) | (1 << IDENTIFIER) | (1 << VID)

/** Reads V2 binary (version byte 2) strictly: no unknown fields, no trailing bytes. Keeps no view of `bytes`. */
export function decodeV2(bytes: Uint8Array): MacaroonData {
  if (bytes.byteLength === 0 || bytes[0] !== 2) throw malformed('not V2 binary')
  const r = new Reader(bytes, 1)
  const f: Array<Uint8Array | undefined> = [undefined, undefined, undefined, undefined, undefined]
  r.section(f, HEADER_FIELDS, 'header')
  const identifier = f[IDENTIFIER]
  if (identifier === undefined) throw malformed('missing identifier')
  const location = text(f[LOCATION], 'location')
  const caveats: Caveat[] = []
  while (r.section(f, CAVEAT_FIELDS, 'caveat') > 0) {
    if (caveats.length >= LIMITS.maxCaveats) throw malformed(`more than ${LIMITS.maxCaveats} caveats`)
    const cid = f[IDENTIFIER]
    if (cid === undefined) throw malformed('caveat without identifier')
    const vid = f[VID]
    const cl = text(f[LOCATION], 'caveat location')
    if (vid === undefined && cl === undefined) caveats.push({ identifier: cid })
    else
      caveats.push({
        identifier: cid,
        ...(vid && { verificationId: vid }),
        ...(cl !== undefined && { location: cl }),
      })
  }
  const type = r.next()
  if (type !== SIGNATURE) throw malformed('missing signature')
  const signature = r.data()
  if (signature.byteLength !== 32) throw malformed('signature must be 32 bytes')
  if (r.pos !== bytes.byteLength) throw malformed('trailing bytes after signature')
  // Two literals rather than a spread to add the location: `{ ...m, location }` cost ~1.5 µs.
  return location === undefined || location === ''
    ? { identifier, caveats, signature, version: 2 }
    : { identifier, caveats, signature, version: 2, location }
}

function varintLength(n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

const enc = new TextEncoder()

/** Bytes of a field: type, length varint, data. */
function fieldLength(dataLength: number): number {
  return 1 + varintLength(dataLength) + dataLength
}

/** The length of `encodeV2(m)`; `locations` receives the UTF-8 of each location, in order. */
function encodedLength(m: MacaroonData, locations: Uint8Array[]): number {
  let size = 1
  if (m.location) {
    const l = enc.encode(m.location)
    locations.push(l)
    size += fieldLength(l.byteLength)
  }
  size += fieldLength(m.identifier.byteLength) + 1
  for (const c of m.caveats) {
    if (c.location) {
      const l = enc.encode(c.location)
      locations.push(l)
      size += fieldLength(l.byteLength)
    }
    size += fieldLength(c.identifier.byteLength) + 1
    if (c.verificationId) size += fieldLength(c.verificationId.byteLength)
  }
  return size + 1 + fieldLength(m.signature.byteLength)
}

/**
 * Writes the V2 form of `m` into `out` (which must hold encodedLength bytes). One pass that
 * writes fields in place: building a list of [type, data] pairs, and TypedArray.set's fixed cost
 * for each short field, took longer than the HMAC of a caveat in attenuate.
 */
function writeV2(m: MacaroonData, locations: readonly Uint8Array[], out: Uint8Array): number {
  let pos = 0
  let nextLocation = 0
  out[pos++] = 2
  if (m.location) pos = writeField(out, pos, LOCATION, locations[nextLocation++]!)
  pos = writeField(out, pos, IDENTIFIER, m.identifier)
  out[pos++] = EOS
  for (const c of m.caveats) {
    if (c.location) pos = writeField(out, pos, LOCATION, locations[nextLocation++]!)
    pos = writeField(out, pos, IDENTIFIER, c.identifier)
    if (c.verificationId) pos = writeField(out, pos, VID, c.verificationId)
    out[pos++] = EOS
  }
  out[pos++] = EOS
  return writeField(out, pos, SIGNATURE, m.signature)
}

/** Writes one field at `pos`; returns the position after it. */
function writeField(out: Uint8Array, pos: number, type: number, data: Uint8Array): number {
  out[pos++] = type
  const length = data.byteLength
  let n = length
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  out[pos++] = n
  if (length > 64) out.set(data, pos)
  else for (let i = 0; i < length; i++) out[pos + i] = data[i] as number
  return pos + length
}

/** Writes V2 binary, the canonical form of crumb tokens. */
export function encodeV2(m: MacaroonData): Uint8Array {
  const locations: Uint8Array[] = []
  const out = new Uint8Array(encodedLength(m, locations))
  writeV2(m, locations, out)
  return out
}

/** Encodes V2 binary into shared scratch for the base64url writer (no array of its own). */
const scratch = Buffer.allocUnsafeSlow(16 * 1024)

/**
 * base64url (no padding) of `encodeV2(m)`. A crumb token is a few hundred bytes: writing them
 * into scratch and encoding from there spares a fresh array of over 64 bytes, which V8 allocates
 * outside its heap (~0.2 µs).
 */
export function encodeV2Base64Url(m: MacaroonData): string {
  const locations: Uint8Array[] = []
  const size = encodedLength(m, locations)
  if (size > scratch.length) return Buffer.from(encodeV2(m).buffer).toString('base64url')
  writeV2(m, locations, scratch)
  return scratch.toString('base64url', 0, size)
}
