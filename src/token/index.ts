export { attenuate } from './attenuate.js'
export { authorizeScope, type RouteScope } from './authorize.js'
export type { TokenClaims } from './claims.js'
export { TOKEN_PREFIX, decodeToken, decodeTokenList, encodeToken, tokenHint } from './format.js'
export { type TokenIdentifier, decodeIdentifier, encodeIdentifier } from './identifier.js'
export { newTokenId, newUserId } from './ids.js'
export { type InspectedCaveat, type TokenInspection, inspectToken } from './inspect.js'
export {
  type KeyRing,
  type RingKey,
  generateKeyRing,
  parseKeyRing,
  retireKey,
  rootKeyFor,
  rotateKeyRing,
  serializeKeyRing,
} from './keyring.js'
export { type MintedToken, mintRootToken } from './mint.js'
export { type RevocationEntry, RevocationList, revocationIdOf } from './revocation.js'
export { DEFAULT_LEEWAY_MS, type RequestFacts, type VerifyTokenOptions, verifyToken } from './verify.js'
