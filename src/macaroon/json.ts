import { Buffer } from 'node:buffer'
import { fromBase64Lenient, toBase64Url, toBytes, toHex, utf8OrUndefined } from './bytes.js'
import { LIMITS } from './limits.js'
import { malformed } from './malformed.js'
import type { Caveat, MacaroonData } from './types.js'

/** The V2 JSON object form (go-macaroon / libmacaroons field names). */
export interface MacaroonJsonV2 {
  v: 2
  l?: string
  i?: string
  i64?: string
  c?: Array<{ i?: string; i64?: string; v64?: string; l?: string }>
  s64: string
}

/** The V1 JSON object form. */
export interface MacaroonJsonV1 {
  caveats?: Array<{ cid: string; vid?: string; cl?: string }>
  location: string
  identifier: string
  signature: string
}

type JsonObject = Record<string, unknown>

function isObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

function has(o: JsonObject, key: string): boolean {
  return Object.hasOwn(o, key) && o[key] !== undefined
}

function optString(o: JsonObject, key: string, what: string): string | undefined {
  const v = o[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw malformed(`${what} must be a string`)
  return v
}

/** Exactly one of the text field `key` or its base64 twin `key64`. */
function eitherField(o: JsonObject, key: string, what: string, required: boolean): Uint8Array | undefined {
  const hasText = has(o, key) && o[key] !== null
  const hasB64 = has(o, `${key}64`) && o[`${key}64`] !== null
  if (hasText && hasB64) throw malformed(`invalid ${what}: ambiguous field encoding`)
  if (hasText) return toBytes(optString(o, key, what)!)
  if (hasB64) {
    const bytes = fromBase64Lenient(optString(o, `${key}64`, what)!)
    if (bytes === undefined) throw malformed(`invalid ${what}: bad base64`)
    return bytes
  }
  if (required) throw malformed(`missing ${what}`)
  return undefined
}

const EMPTY = new Uint8Array(0)

function checkedSignature(sig: Uint8Array | undefined): Uint8Array {
  if (sig === undefined) throw malformed('missing signature')
  if (sig.byteLength !== 32) throw malformed('signature must be 32 bytes')
  return sig
}

function withLocation<T extends object>(base: T, location: string | undefined): T & { location?: string } {
  return location === undefined || location === '' ? base : { ...base, location }
}

function decodeJsonV2(o: JsonObject): MacaroonData {
  if (has(o, 'v') && o.v !== 2) throw malformed('unsupported JSON macaroon version')
  // go-macaroon leaves out `i` for an empty identifier, and go and pymacaroons leave out a caveat's
  // `i` when it is empty: a missing id reads as empty (#18 item 14).
  const identifier = eitherField(o, 'i', 'identifier', false) ?? EMPTY
  const signature = checkedSignature(eitherField(o, 's', 'signature', true))
  const location = optString(o, 'l', 'location')
  const list = o.c ?? []
  if (!Array.isArray(list)) throw malformed('caveats must be an array')
  if (list.length > LIMITS.maxCaveats) throw malformed(`more than ${LIMITS.maxCaveats} caveats`)
  // Array.from, not map: a sparse array (from a JS caller) has holes that map would keep.
  const caveats: Caveat[] = Array.from(list, (c: unknown) => {
    if (!isObject(c)) throw malformed('caveat must be an object')
    const cid = eitherField(c, 'i', 'caveat id', false) ?? EMPTY
    const vid = eitherField(c, 'v', 'vid in caveat', false)
    const cl = optString(c, 'l', 'caveat location')
    return withLocation(
      vid === undefined ? { identifier: cid } : { identifier: cid, verificationId: vid },
      cl,
    )
  })
  return withLocation({ identifier, caveats, signature, version: 2 as const }, location)
}

function decodeJsonV1(o: JsonObject): MacaroonData {
  const id = optString(o, 'identifier', 'identifier')
  if (id === undefined) throw malformed('missing identifier')
  const sigHex = optString(o, 'signature', 'signature')
  if (sigHex === undefined || !/^[0-9a-fA-F]{64}$/.test(sigHex))
    throw malformed('signature must be 64 hex digits')
  const location = optString(o, 'location', 'location')
  const list = o.caveats ?? []
  if (!Array.isArray(list)) throw malformed('caveats must be an array')
  if (list.length > LIMITS.maxCaveats) throw malformed(`more than ${LIMITS.maxCaveats} caveats`)
  const caveats: Caveat[] = Array.from(list, (c: unknown) => {
    if (!isObject(c)) throw malformed('caveat must be an object')
    // pymacaroons writes `{}` for a caveat whose id is empty (#18 item 14).
    const cid = optString(c, 'cid', 'caveat id') ?? ''
    const vidText = optString(c, 'vid', 'vid in caveat')
    const vid = vidText === undefined ? undefined : fromBase64Lenient(vidText)
    if (vidText !== undefined && vid === undefined) throw malformed('invalid vid in caveat: bad base64')
    const cl = optString(c, 'cl', 'caveat location')
    const base =
      vid === undefined ? { identifier: toBytes(cid) } : { identifier: toBytes(cid), verificationId: vid }
    return withLocation(base, cl)
  })
  return withLocation(
    {
      identifier: toBytes(id),
      caveats,
      signature: new Uint8Array(Buffer.from(sigHex, 'hex')),
      version: 1 as const,
    },
    location,
  )
}

/** Reads a parsed JSON object in V1 or V2 field names (V1 when it has `identifier` or `signature`). */
export function decodeJsonObject(value: unknown): MacaroonData {
  if (!isObject(value)) throw malformed('JSON macaroon must be an object')
  if (has(value, 'identifier') || has(value, 'signature')) return decodeJsonV1(value)
  return decodeJsonV2(value)
}

/** V2 JSON: text fields where the bytes are UTF-8, `…64` (base64url) where they are not. */
export function encodeJsonV2(m: MacaroonData): MacaroonJsonV2 {
  const out = { v: 2 } as MacaroonJsonV2
  if (m.location) out.l = m.location
  const id = utf8OrUndefined(m.identifier)
  if (id === undefined) out.i64 = toBase64Url(m.identifier)
  else out.i = id
  if (m.caveats.length > 0) {
    out.c = m.caveats.map((c) => {
      const cid = utf8OrUndefined(c.identifier)
      const entry: { i?: string; i64?: string; v64?: string; l?: string } =
        cid === undefined ? { i64: toBase64Url(c.identifier) } : { i: cid }
      if (c.verificationId) entry.v64 = toBase64Url(c.verificationId)
      if (c.location) entry.l = c.location
      return entry
    })
  }
  out.s64 = toBase64Url(m.signature)
  return out
}

/**
 * V1 JSON (needs UTF-8 identifiers, as every V1 JSON reader expects text). No `caveats` key when
 * there are none, as js-macaroon and pymacaroons write it (js-macaroon's test asserts exactly that).
 */
export function encodeJsonV1(m: MacaroonData): MacaroonJsonV1 {
  const text = (bytes: Uint8Array, what: string): string => {
    const s = utf8OrUndefined(bytes)
    if (s === undefined) throw malformed(`${what} is not UTF-8; use V2 JSON`)
    return s
  }
  const caveats = m.caveats.map((c) => {
    const entry: { cid: string; vid?: string; cl?: string } = { cid: text(c.identifier, 'caveat id') }
    if (c.verificationId) entry.vid = toBase64Url(c.verificationId)
    if (c.location) entry.cl = c.location
    return entry
  })
  const out: MacaroonJsonV1 = {
    ...(caveats.length > 0 ? { caveats } : {}),
    location: m.location ?? '',
    identifier: text(m.identifier, 'identifier'),
    signature: toHex(m.signature),
  }
  return out
}
