/**
 * The policy the service layer applies: lifetimes, limits, windows. The server's configuration
 * (`CRUMB_*` variables) provides it; tests build it directly.
 */
export interface ServiceSettings {
  /** The URL users reach the service at (token location, device verification URI). */
  readonly publicUrl: string | undefined
  readonly tokenTtlMs: number
  readonly tokenMaxTtlMs: number
  readonly sessionTtlMs: number
  readonly rotationMaxGraceMs: number
  readonly keyCreateLimit: number
  readonly keyCreateWindowMs: number
  readonly loginLimit: number
  readonly loginWindowMs: number
  readonly registerLimit: number
  readonly deviceStartLimit: number
  readonly unusedKeyTtlMs: number
  readonly revokedRetentionMs: number
  readonly deviceCodeTtlMs: number
  readonly devicePollIntervalS: number
  readonly leewayMs: number
}
