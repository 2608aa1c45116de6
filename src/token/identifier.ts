import { CrumbError } from '../errors.js'
import { KID, TOKEN_ID, USER_ID } from './ids.js'

/** The fields of a root token's identifier; readable by anyone, secret-free. */
export interface TokenIdentifier {
  readonly version: 1
  /** Which key-ring secret the root key derives from. */
  readonly kid: string
  /** `tok_…`: names the key on the server and in the revocation list. */
  readonly tokenId: string
  /** `usr_…`: the owner. */
  readonly userId: string
}

const PREFIX = 'crumb1'
/** `crumb1 <kid> <token id> <user id>`, each field as KID, TOKEN_ID and USER_ID describe it. */
const IDENTIFIER = new RegExp(
  `^${PREFIX} (${KID.source.slice(1, -1)}) (${TOKEN_ID.source.slice(1, -1)}) (${USER_ID.source.slice(1, -1)})$`,
)

/**
 * Writes an identifier as text: `crumb1 <kid> <token id> <user id>`. Text keeps it readable by
 * any macaroon library's inspect.
 *
 * @example
 * encodeIdentifier({ version: 1, kid: 'k1', tokenId: 'tok_…', userId: 'usr_…' })
 */
export function encodeIdentifier(id: TokenIdentifier): string {
  if (!KID.test(id.kid) || !TOKEN_ID.test(id.tokenId) || !USER_ID.test(id.userId)) {
    throw new CrumbError('validation_failed', 'identifier field has an invalid shape')
  }
  return `${PREFIX} ${id.kid} ${id.tokenId} ${id.userId}`
}

/**
 * Reads an identifier without any secret. Unknown versions and malformed fields fail closed.
 *
 * @example
 * const { kid, tokenId, userId } = decodeIdentifier(macaroon.identifierText ?? '')
 */
export function decodeIdentifier(text: string | undefined): TokenIdentifier {
  // One match for the well-formed identifier of every request; the field checks below only name
  // what is wrong with one that fails it.
  const m = text === undefined ? null : IDENTIFIER.exec(text)
  if (m !== null) return { version: 1, kid: m[1]!, tokenId: m[2]!, userId: m[3]! }
  const parts = text?.split(' ')
  if (parts === undefined || parts.length !== 4 || parts[0] !== PREFIX) {
    throw new CrumbError('invalid_token', 'not a crumb token identifier')
  }
  throw new CrumbError('invalid_token', 'malformed crumb token identifier')
}
