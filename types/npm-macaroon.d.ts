// Types for the npm `macaroon` package (3.0.4), the independent implementation the
// differential tests compare against. It ships no types of its own; only what the tests use.
declare module 'macaroon' {
  export interface NpmCaveat {
    identifier: Uint8Array
    location?: string
    vid?: Uint8Array
  }

  export interface NpmMacaroonJsonV1 {
    identifier: string
    signature: string
    location?: string
    caveats?: Array<{ cid: string; vid?: string; cl?: string }>
  }

  export interface NpmMacaroonJsonV2 {
    v: 2
    i?: string
    i64?: string
    s?: string
    s64?: string
    l?: string
    c?: Array<{ i?: string; i64?: string; v?: string; v64?: string; l?: string }>
  }

  export interface NpmMacaroon {
    readonly location: string
    readonly identifier: Uint8Array
    readonly signature: Uint8Array
    readonly caveats: NpmCaveat[]
    addFirstPartyCaveat(caveatId: Uint8Array | string): void
    addThirdPartyCaveat(rootKey: Uint8Array, caveatId: Uint8Array | string, location?: string): void
    bindToRoot(rootSignature: Uint8Array): void
    clone(): NpmMacaroon
    /** `check` returns an error string when the condition is not met, null/undefined when it is. */
    verify(
      rootKey: Uint8Array | string,
      check: (condition: string) => string | null | undefined,
      discharges?: NpmMacaroon[],
    ): void
    exportJSON(): NpmMacaroonJsonV1 | NpmMacaroonJsonV2
    exportBinary(): Uint8Array
  }

  export function newMacaroon(params: {
    rootKey: Uint8Array | string
    identifier: Uint8Array | string
    location?: string
    version?: 1 | 2
  }): NpmMacaroon
  export function importMacaroon(data: string | Uint8Array | object): NpmMacaroon
  export function importMacaroons(data: string | Uint8Array | object): NpmMacaroon[]
  export function bytesToBase64(bytes: Uint8Array): string
  export function base64ToBytes(text: string): Uint8Array
}
