/** A caveat as the macaroon standard defines it: first-party when it has no verification id. */
export interface Caveat {
  readonly identifier: Uint8Array
  /** Present only on third-party caveats: nonce ‖ sealed caveat key. */
  readonly verificationId?: Uint8Array
  /** Hint where to get a discharge (third-party caveats). */
  readonly location?: string
}

/** Serialization version a macaroon was read from (V2 is the default for new ones). */
export type MacaroonVersion = 1 | 2

/** The plain fields of a macaroon, as codecs read and write them. */
export interface MacaroonData {
  readonly location?: string
  readonly identifier: Uint8Array
  readonly caveats: readonly Caveat[]
  readonly signature: Uint8Array
  readonly version: MacaroonVersion
}
