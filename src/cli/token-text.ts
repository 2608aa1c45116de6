import { Macaroon } from '../macaroon/macaroon.js'
import { decodeToken, encodeToken } from '../token/format.js'
import { decodeIdentifier } from '../token/identifier.js'

/**
 * The token id (`tok_…`) inside a crumb token, read offline; undefined if it is not one.
 * Lets commands recognise "the key this CLI is using" without asking the server.
 *
 * @example
 * tokenIdOf(config.token) // 'tok_…'
 */
export function tokenIdOf(token: string | undefined): string | undefined {
  if (token === undefined) return undefined
  try {
    return decodeIdentifier(decodeToken(token.split(',')[0] ?? '').identifierText).tokenId
  } catch {
    return undefined
  }
}

/**
 * Token text as the core's comma-joined list functions take it. Macaroon JSON (an object, or an
 * array of a macaroon and its discharges, as other libraries print them) contains commas, so it
 * is re-encoded as `crumb_…` tokens first; anything else is returned as given.
 *
 * @example
 * normalizeTokenText('{"v":2,"i":"id","s64":"…"}') // 'crumb_AgEC…'
 */
export function normalizeTokenText(text: string): string {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return trimmed
  let json: unknown
  try {
    json = JSON.parse(trimmed)
  } catch {
    return trimmed
  }
  const items = Array.isArray(json) ? json : [json]
  return items.map((item: unknown) => encodeToken(Macaroon.decode(item as object))).join(',')
}
