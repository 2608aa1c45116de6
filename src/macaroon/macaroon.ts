import { toBase64Url, toBytes, utf8OrUndefined } from './bytes.js'
import { bindSignature, deriveMacaroonKey, digestBytes, hmac, hmacDigest, hmacStep } from './crypto.js'
import { decodeMacaroonData, type MacaroonInput } from './decode.js'
import { encodeJsonV1, encodeJsonV2, type MacaroonJsonV1, type MacaroonJsonV2 } from './json.js'
import { LIMITS } from './limits.js'
import { malformed } from './malformed.js'
import { thirdPartyStep } from './third-party.js'
import type { Caveat, MacaroonData, MacaroonVersion } from './types.js'
import { encodeV1 } from './v1-binary.js'
import { encodeV2, encodeV2Base64Url } from './v2-binary.js'
import { type ChainObserver, type PredicateChecker, verifyMacaroon } from './verify.js'

/** Serialization formats `encode` writes. */
export type MacaroonFormat = 'v2' | 'v1' | 'json' | 'json-v1'

/**
 * A standard macaroon, byte-compatible with libmacaroons, go-macaroon, pymacaroons and the npm
 * `macaroon` package. Immutable: adding a caveat returns a new Macaroon.
 *
 * @example
 * const m = Macaroon.mint({ rootKey, identifier: 'id-1', location: 'https://api.example' })
 *   .addFirstPartyCaveat('org = acme')
 * m.verify(rootKey, (p) => p === 'org = acme')
 */
export class Macaroon {
  readonly #data: MacaroonData

  private constructor(data: MacaroonData) {
    this.#data = data
  }

  /**
   * Mints a macaroon: signature = HMAC(derive(rootKey), identifier).
   *
   * @example
   * const m = Macaroon.mint({ rootKey: secretBytes, identifier: 'key-7' })
   */
  static mint(options: {
    rootKey: Uint8Array | string
    identifier: Uint8Array | string
    location?: string
    version?: MacaroonVersion
  }): Macaroon {
    const identifier = toBytes(options.identifier)
    const signature = hmac(deriveMacaroonKey(toBytes(options.rootKey)), identifier)
    return new Macaroon({
      identifier,
      caveats: [],
      signature,
      version: options.version ?? 2,
      ...(options.location ? { location: options.location } : {}),
    })
  }

  /**
   * Decodes any format: V1/V2 binary bytes, base64 (either alphabet, padded or not), V1/V2 JSON
   * text or a parsed JSON object. Throws a CrumbError (`invalid_token`) on malformed input.
   *
   * @example
   * const m = Macaroon.decode('AgETaHR0cDovL2V4YW1wbGUub3JnLwIFa2V5aWQAAAYgfN7nklEcW8b1KEhYBd_psk54XijiqZMB-dcRxgnjjvc')
   */
  static decode(input: MacaroonInput): Macaroon {
    return new Macaroon(decodeMacaroonData(input))
  }

  /** Wraps already-validated fields (codecs and the crumb layer use this). */
  static fromData(data: MacaroonData): Macaroon {
    return new Macaroon(data)
  }

  /** The plain fields. */
  get data(): MacaroonData {
    return this.#data
  }

  /** Where the macaroon is meant to be used ('' when unset). */
  get location(): string {
    return this.#data.location ?? ''
  }

  /** The identifier bytes. */
  get identifier(): Uint8Array {
    return this.#data.identifier
  }

  /** The identifier as UTF-8 text, or undefined when it is binary. */
  get identifierText(): string | undefined {
    return utf8OrUndefined(this.#data.identifier)
  }

  /** The 32-byte chain signature. */
  get signature(): Uint8Array {
    return this.#data.signature
  }

  /** The caveats, in order. */
  get caveats(): readonly Caveat[] {
    return this.#data.caveats
  }

  /** The format version this macaroon was read from or minted for. */
  get version(): MacaroonVersion {
    return this.#data.version
  }

  #withCaveat(caveat: Caveat, signature: Uint8Array): Macaroon {
    if (this.#data.caveats.length >= LIMITS.maxCaveats)
      throw malformed(`more than ${LIMITS.maxCaveats} caveats`)
    return new Macaroon({ ...this.#data, caveats: [...this.#data.caveats, caveat], signature })
  }

  /**
   * Adds a first-party caveat (a predicate the verifier checks).
   *
   * @example
   * const narrowed = m.addFirstPartyCaveat('ops = read')
   */
  addFirstPartyCaveat(predicate: Uint8Array | string): Macaroon {
    const identifier = toBytes(predicate)
    return this.#withCaveat({ identifier }, hmac(this.#data.signature, identifier))
  }

  /**
   * Adds several first-party caveats at once (one new Macaroon instead of one per caveat).
   *
   * @example
   * const ci = m.addFirstPartyCaveats(['org = acme', 'ops = deploy'])
   */
  addFirstPartyCaveats(predicates: readonly (Uint8Array | string)[]): Macaroon {
    if (this.#data.caveats.length + predicates.length > LIMITS.maxCaveats) {
      throw malformed(`more than ${LIMITS.maxCaveats} caveats`)
    }
    if (predicates.length === 0) return new Macaroon({ ...this.#data, caveats: [...this.#data.caveats] })
    const caveats = [...this.#data.caveats]
    // The signatures in between stay digest strings: only the last one is copied into bytes.
    let signature = ''
    for (let i = 0; i < predicates.length; i++) {
      const identifier = toBytes(predicates[i]!)
      signature = i === 0 ? hmacDigest(this.#data.signature, identifier) : hmacStep(signature, identifier)
      caveats.push({ identifier })
    }
    return new Macaroon({ ...this.#data, caveats, signature: digestBytes(signature) })
  }

  /**
   * Adds a third-party caveat: whoever holds `rootKey` (the third party) can mint a discharge
   * whose identifier is `identifier`. `nonce` exists for reproducing published vectors.
   *
   * @example
   * const m2 = m.addThirdPartyCaveat({ rootKey: sharedKey, identifier: 'user-is-admin', location: 'https://auth.example' })
   */
  addThirdPartyCaveat(options: {
    rootKey: Uint8Array | string
    identifier: Uint8Array | string
    location?: string
    nonce?: Uint8Array
  }): Macaroon {
    const identifier = toBytes(options.identifier)
    const step = thirdPartyStep(this.#data.signature, toBytes(options.rootKey), identifier, options.nonce)
    const caveat: Caveat = {
      identifier,
      verificationId: step.verificationId,
      ...(options.location ? { location: options.location } : {}),
    }
    return this.#withCaveat(caveat, step.signature)
  }

  /**
   * Binds this discharge to the primary it will be sent with, so it cannot be replayed with
   * any other macaroon.
   *
   * @example
   * const bound = discharge.bindTo(primary)
   */
  bindTo(primary: Macaroon | Uint8Array): Macaroon {
    const primarySignature = primary instanceof Macaroon ? primary.signature : primary
    return new Macaroon({ ...this.#data, signature: bindSignature(primarySignature, this.#data.signature) })
  }

  /**
   * Verifies against the root key. Each first-party caveat must satisfy `check`; each
   * third-party caveat needs one bound discharge; every discharge must be used.
   * Throws a CrumbError (`invalid_token`) on failure.
   *
   * @example
   * m.verify(rootKey, (p) => p === 'org = acme', [boundDischarge])
   */
  verify(
    rootKey: Uint8Array | string,
    check: PredicateChecker,
    discharges: readonly Macaroon[] = [],
    observe?: ChainObserver,
  ): void {
    // verifyMacaroon treats a missing checker as "the caller judges caveats later"; a public caller
    // that forgot it must not get every caveat accepted.
    if (typeof check !== 'function') throw new TypeError('verify needs a predicate checker function')
    verifyMacaroon(
      this.#data,
      toBytes(rootKey),
      check,
      discharges.map((d) => d.#data),
      observe && ((signature, caveatsSoFar) => observe(digestBytes(signature), caveatsSoFar)),
    )
  }

  /**
   * Serializes: 'v2' and 'v1' give binary bytes; 'json' gives V2 JSON text, 'json-v1' V1 JSON text.
   *
   * @example
   * const text = 'crumb_' + Buffer.from(m.encode('v2')).toString('base64url')
   */
  encode(format: 'v2' | 'v1'): Uint8Array
  encode(format: 'json' | 'json-v1'): string
  encode(format: MacaroonFormat): Uint8Array | string
  encode(format: MacaroonFormat): Uint8Array | string {
    switch (format) {
      case 'v2':
        return encodeV2(this.#data)
      case 'v1':
        return encodeV1(this.#data)
      case 'json':
        return JSON.stringify(this.toJSON())
      case 'json-v1':
        return JSON.stringify(encodeJsonV1(this.#data))
    }
  }

  /** V2 JSON object (what JSON.stringify writes). */
  toJSON(): MacaroonJsonV2 {
    return encodeJsonV2(this.#data)
  }

  /** V1 JSON object. */
  toJSONV1(): MacaroonJsonV1 {
    return encodeJsonV1(this.#data)
  }

  /** base64url (no padding) of the V2 binary form. */
  toBase64(format: 'v2' | 'v1' = 'v2'): string {
    return format === 'v2' ? encodeV2Base64Url(this.#data) : toBase64Url(this.encode(format))
  }
}
