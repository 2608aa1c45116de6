import { deriveMacaroonKey, hmac2, randomNonce, sealSecret } from './crypto.js'

/**
 * The verification id of a third-party caveat: nonce ‖ secretbox(derived caveat key) under the
 * current signature, and the signature after the caveat. `nonce` is for test vectors only.
 */
export function thirdPartyStep(
  signature: Uint8Array,
  caveatRootKey: Uint8Array,
  caveatId: Uint8Array,
  nonce: Uint8Array = randomNonce(),
): { verificationId: Uint8Array; signature: Uint8Array } {
  const verificationId = sealSecret(signature, deriveMacaroonKey(caveatRootKey), nonce)
  return { verificationId, signature: hmac2(signature, verificationId, caveatId) }
}
