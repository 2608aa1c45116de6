import { utf8OrUndefined } from './bytes.js'
import { LIMITS } from './limits.js'
import { malformed } from './malformed.js'
import type { Caveat, MacaroonData } from './types.js'

const enc = new TextEncoder()
const MAX_PACKET = 0xffff
const HEX4 = /^[0-9a-fA-F]{4}$/

/** One V1 packet: 4 hex digits of total size, `key value\n`. */
export interface PacketV1 {
  readonly key: string
  readonly value: Uint8Array
  /** Offset just past the packet. */
  readonly end: number
}

/** Parses the V1 packet at `pos` (the format of libmacaroons' first serialization). */
export function parsePacketV1(bytes: Uint8Array, pos: number): PacketV1 {
  if (bytes.byteLength - pos < 4) throw malformed('packet too short')
  const header = String.fromCharCode(bytes[pos]!, bytes[pos + 1]!, bytes[pos + 2]!, bytes[pos + 3]!)
  if (!HEX4.test(header)) throw malformed('cannot parse size')
  const size = Number.parseInt(header, 16)
  if (size > bytes.byteLength - pos) throw malformed('packet size too big')
  if (size < 4 + 2) throw malformed('packet size too small')
  const end = pos + size
  if (bytes[end - 1] !== 0x0a) throw malformed('no terminating newline')
  const body = bytes.subarray(pos + 4, end - 1)
  const space = body.indexOf(0x20)
  if (space <= 0) throw malformed('cannot parse field name')
  const key = utf8OrUndefined(body.subarray(0, space))
  if (key === undefined) throw malformed('cannot parse field name')
  return { key, value: body.subarray(space + 1), end }
}

/** Writes one V1 packet; refuses packets over 0xFFFF bytes, as libmacaroons does. */
export function appendPacketV1(parts: Uint8Array[], key: string, value: Uint8Array): void {
  const k = enc.encode(`${key} `)
  const size = 4 + k.byteLength + value.byteLength + 1
  if (size > MAX_PACKET) throw malformed(`${key} packet too long for V1`)
  parts.push(enc.encode(size.toString(16).padStart(4, '0')), k, value, NEWLINE)
}

const NEWLINE = new Uint8Array([0x0a])

function textOf(value: Uint8Array, what: string): string {
  const s = utf8OrUndefined(value)
  if (s === undefined) throw malformed(`${what} is not UTF-8`)
  return s
}

/** Reads V1 binary (the raw packets, already base64-decoded). */
export function decodeV1(bytes: Uint8Array): MacaroonData {
  let p = parsePacketV1(bytes, 0)
  if (p.key !== 'location') throw malformed('expected location packet')
  const location = textOf(p.value, 'location')
  p = parsePacketV1(bytes, p.end)
  if (p.key !== 'identifier') throw malformed('expected identifier packet')
  const identifier = p.value
  const caveats: Array<{
    identifier: Uint8Array
    verificationId?: Uint8Array
    location?: string
    cl?: true
  }> = []
  for (;;) {
    p = parsePacketV1(bytes, p.end)
    const current = caveats[caveats.length - 1]
    if (p.key === 'signature') break
    if (p.key === 'cid') {
      if (caveats.length >= LIMITS.maxCaveats) throw malformed(`more than ${LIMITS.maxCaveats} caveats`)
      caveats.push({ identifier: p.value })
    } else if (p.key === 'vid') {
      if (current === undefined || current.verificationId !== undefined) throw malformed('unexpected vid')
      current.verificationId = p.value
    } else if (p.key === 'cl') {
      if (current === undefined || current.cl) throw malformed('unexpected cl')
      current.cl = true
      // An empty cl is how V1 writes "no location" (encodeV1 writes one after every vid).
      const location = textOf(p.value, 'caveat location')
      if (location !== '') current.location = location
    } else {
      throw malformed(`unexpected field ${p.key}`)
    }
  }
  if (p.value.byteLength !== 32) throw malformed('signature must be 32 bytes')
  if (p.end !== bytes.byteLength) throw malformed('trailing bytes after signature')
  return {
    identifier,
    caveats: caveats.map(({ cl: _, ...c }) => c) as Caveat[],
    signature: p.value,
    version: 1,
    ...(location === '' ? {} : { location }),
  }
}

/** Writes V1 binary packets (callers base64 them for transport). */
export function encodeV1(m: MacaroonData): Uint8Array {
  const parts: Uint8Array[] = []
  appendPacketV1(parts, 'location', enc.encode(m.location ?? ''))
  appendPacketV1(parts, 'identifier', m.identifier)
  for (const c of m.caveats) {
    appendPacketV1(parts, 'cid', c.identifier)
    // Every caveat with a vid gets a cl, empty or not, as libmacaroons and go-macaroon write it:
    // libmacaroons lists a third-party caveat only when its cl is present (#18 item 13).
    if (c.verificationId) {
      appendPacketV1(parts, 'vid', c.verificationId)
      appendPacketV1(parts, 'cl', enc.encode(c.location ?? ''))
    } else if (c.location) appendPacketV1(parts, 'cl', enc.encode(c.location))
  }
  appendPacketV1(parts, 'signature', m.signature)
  let size = 0
  for (const part of parts) size += part.byteLength
  const out = new Uint8Array(size)
  let pos = 0
  for (const part of parts) {
    out.set(part, pos)
    pos += part.byteLength
  }
  return out
}
