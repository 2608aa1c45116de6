import { CrumbError } from '../errors.js'
import { base64IntoScratch } from '../macaroon/bytes.js'
import { LIMITS } from '../macaroon/limits.js'
import { Macaroon } from '../macaroon/macaroon.js'
import { decodeV2, encodeV2Base64Url } from '../macaroon/v2-binary.js'

/** Every crumb token starts with this, so leaked tokens are greppable by secret scanners. */
export const TOKEN_PREFIX = 'crumb_'

/**
 * `crumb_` + base64url (no padding) of the V2 binary macaroon.
 *
 * @example
 * const text = encodeToken(macaroon) // "crumb_AgEL…"
 */
export function encodeToken(m: Macaroon): string {
  return TOKEN_PREFIX + encodeV2Base64Url(m.data)
}

/**
 * Decodes one token: a crumb token, or any macaroon text another library emitted.
 *
 * @example
 * const m = decodeToken('crumb_AgEL…')
 */
export function decodeToken(text: string): Macaroon {
  const body = text.startsWith(TOKEN_PREFIX) ? text.slice(TOKEN_PREFIX.length) : text
  if (body.length === 0) throw new CrumbError('invalid_token', 'empty token')
  if (body.length > LIMITS.maxTokenBytes) throw new CrumbError('invalid_token', 'token too large')
  // Fast path for the canonical form (base64url of V2 binary, which starts with 'A'); anything
  // else takes the general decoder. decodeV2 copies the fields out of the shared scratch.
  if (body.charCodeAt(0) === 0x41) {
    const bytes = base64IntoScratch(body, 'base64url')
    if (bytes !== undefined) return Macaroon.fromData(decodeV2(bytes))
  }
  return Macaroon.decode(body)
}

/**
 * Splits `primary,discharge,…` (as sent in `Authorization: Bearer`) into macaroons.
 *
 * @example
 * const [primary, ...discharges] = decodeTokenList('crumb_AAA,crumb_BBB')
 */
export function decodeTokenList(input: string | readonly string[]): [Macaroon, ...Macaroon[]] {
  const joined = typeof input === 'string' ? input : input.join(',')
  if (joined.length > LIMITS.maxTokenBytes) throw new CrumbError('invalid_token', 'token list too large')
  // Most requests carry one token and no discharges.
  if (!joined.includes(',')) return [decodeToken(joined.trim())]
  const parts = joined.split(',').map((s) => s.trim())
  if (parts.length > LIMITS.maxMacaroons) throw new CrumbError('invalid_token', 'too many macaroons')
  const [first, ...rest] = parts.map(decodeToken)
  if (first === undefined) throw new CrumbError('invalid_token', 'no token')
  return [first, ...rest]
}

/**
 * The identifying hint shown next to a key: `crumb_…` + the last 4 characters of the token string
 * as issued, which the holder can find at the end of their token.
 *
 * @example
 * tokenHint(macaroon) // "crumb_…TtGo"
 */
export function tokenHint(m: Macaroon): string {
  // the last four characters of the token string, so a person can match it by eye (#18 item 3)
  return `${TOKEN_PREFIX}…${encodeToken(m).slice(-4)}`
}
