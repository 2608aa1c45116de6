import { decodeIdentifier } from '../token/identifier.js'
import { decodeToken } from '../token/format.js'

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
