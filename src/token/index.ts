export { attenuate } from './attenuate.js'
export { authorizeScope, type RouteScope } from './authorize.js'
export type { TokenClaims } from './claims.js'
export { decodeToken, decodeTokenList, encodeToken, TOKEN_PREFIX, tokenHint } from './format.js'
export { decodeIdentifier, encodeIdentifier, type TokenIdentifier } from './identifier.js'
export { newTokenId, newUserId } from './ids.js'
export { type InspectedCaveat, inspectToken, type TokenInspection } from './inspect.js'
export {
  generateKeyRing,
  type KeyRing,
  parseKeyRing,
  type RingKey,
  retireKey,
  rootKeyFor,
  rotateKeyRing,
  serializeKeyRing,
} from './keyring.js'
export { type MintedToken, mintRootToken } from './mint.js'
export {
  MAX_VERIFIER_LEEWAY_MS,
  REVOCATION_RETENTION_MS,
  type RevocationEntry,
  RevocationList,
  revocationIdOf,
} from './revocation.js'
export { isUsageTicket, USAGE_TICKET_TTL_MS, usageTicket } from './usage-ticket.js'
export { DEFAULT_LEEWAY_MS, type RequestFacts, type VerifyTokenOptions, verifyToken } from './verify.js'
