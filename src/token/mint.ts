import { Macaroon } from '../macaroon/macaroon.js'
import { encodeToken, tokenHint } from './format.js'
import { encodeIdentifier } from './identifier.js'
import { newTokenId } from './ids.js'
import { type KeyRing, rootKeyFor } from './keyring.js'

/** A freshly minted root token. `token` is the secret; everything else may be stored. */
export interface MintedToken {
  readonly token: string
  readonly tokenId: string
  readonly kid: string
  readonly hint: string
}

/**
 * Mints a root token under the ring's primary key (or `kid`, to re-mint a key's token under the
 * key it was first minted with), with server-chosen caveats (at least an `expires`, by the
 * service's policy).
 *
 * @example
 * const { token, tokenId } = mintRootToken({ ring, userId: 'usr_…', caveats: ['expires = 2027-01-01T00:00:00Z'] })
 */
export function mintRootToken(options: {
  ring: KeyRing
  userId: string
  caveats?: readonly string[]
  tokenId?: string
  /** The ring entry to derive from (default: the primary); a key minted earlier keeps its kid. */
  kid?: string
  location?: string
}): MintedToken {
  const kid = options.kid ?? options.ring.primary
  const tokenId = options.tokenId ?? newTokenId()
  const identifier = new TextEncoder().encode(
    encodeIdentifier({ version: 1, kid, tokenId, userId: options.userId }),
  )
  let m = Macaroon.mint({
    rootKey: rootKeyFor(options.ring, kid, identifier),
    identifier,
    ...(options.location ? { location: options.location } : {}),
  })
  for (const c of options.caveats ?? []) m = m.addFirstPartyCaveat(c)
  return { token: encodeToken(m), tokenId, kid, hint: tokenHint(m) }
}
