import { base64IntoScratch, fromBase64Lenient } from './bytes.js'
import { decodeJsonObject } from './json.js'
import { LIMITS } from './limits.js'
import { malformed } from './malformed.js'
import type { MacaroonData } from './types.js'
import { decodeV1 } from './v1-binary.js'
import { decodeV2 } from './v2-binary.js'

/** What decode accepts: text (any base64, JSON), raw V1/V2 bytes, or an already-parsed JSON object. */
export type MacaroonInput = string | Uint8Array | object

// Encodings may nest (libmacaroons' test files base64 a base64 line; Go may JSON-quote base64).
const MAX_NESTING = 3
const decoder = new TextDecoder('utf-8', { fatal: false })

function isHexDigit(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66))
}

function decodeText(text: string, depth: number): MacaroonData {
  const trimmed = text.trim()
  if (trimmed.startsWith('{') || trimmed.startsWith('"')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      throw malformed('invalid JSON')
    }
    if (typeof parsed === 'string') return decodeText(parsed, depth + 1)
    return decodeJsonObject(parsed)
  }
  // Fast path: canonical base64 (URL-safe unpadded, or standard padded) of V2 binary, decoded in
  // scratch with no regular expression and no allocation but the fields (decodeV2 copies them).
  if (depth < MAX_NESTING) {
    const canonical = base64IntoScratch(trimmed, 'base64url') ?? base64IntoScratch(trimmed, 'base64')
    if (canonical !== undefined && canonical[0] === 2) return decodeV2(canonical)
  }
  // Line breaks are allowed inside base64 (libmacaroons and Python emit them).
  const bytes = fromBase64Lenient(trimmed.replace(/[\r\n]/g, ''))
  if (bytes === undefined || bytes.byteLength === 0) throw malformed('not base64 or JSON')
  return decodeBytes(bytes, depth + 1)
}

function decodeBytes(bytes: Uint8Array, depth: number): MacaroonData {
  if (depth > MAX_NESTING) throw malformed('encoding nested too deeply')
  const first = bytes[0]
  if (first === 2) return decodeV2(bytes)
  if (
    isHexDigit(first) &&
    isHexDigit(bytes[1]) &&
    isHexDigit(bytes[2]) &&
    isHexDigit(bytes[3]) &&
    bytes[4] !== 0x3d
  ) {
    // Four hex digits then a field name: V1 packets. (Base64 text may also start with hex
    // digits; V1's fifth byte is a letter of the field name, so try V1, then fall back.)
    try {
      return decodeV1(bytes)
    } catch (e) {
      if (!looksLikeText(bytes)) throw e
    }
  }
  if (looksLikeText(bytes)) return decodeText(decoder.decode(bytes), depth)
  throw malformed('unknown format')
}

function looksLikeText(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b < 0x09 || b > 0x7e) return false
  return true
}

/**
 * Decodes a macaroon from any format other libraries emit: V1 or V2 binary, V1 or V2 JSON,
 * standard or URL-safe base64, padded or not. Hostile input gets a CrumbError
 * (`invalid_token`), never another exception; oversized input is refused before parsing.
 */
export function decodeMacaroonData(input: MacaroonInput): MacaroonData {
  if (typeof input === 'string') {
    if (input.length > LIMITS.maxTokenBytes) throw malformed(`larger than ${LIMITS.maxTokenBytes} bytes`)
    return decodeText(input, 0)
  }
  if (input instanceof Uint8Array) {
    if (input.byteLength > LIMITS.maxTokenBytes) throw malformed(`larger than ${LIMITS.maxTokenBytes} bytes`)
    if (input.byteLength === 0) throw malformed('empty input')
    // Decoded fields are views of the bytes: copy, so reusing the caller's buffer cannot change them.
    return decodeBytes(new Uint8Array(input), 0)
  }
  return decodeJsonObject(input)
}
