/** What a verified token grants: who, which key, and the effective (intersected) scope. */
export interface TokenClaims {
  readonly userId: string
  readonly tokenId: string
  readonly kid: string
  /** The device the request declared, when it declared one. */
  readonly device: string | undefined
  /** Admitted operations, orgs, apps, devices; null means unrestricted. */
  readonly ops: readonly string[] | null
  readonly orgs: readonly string[] | null
  readonly apps: readonly string[] | null
  readonly devices: readonly string[] | null
  readonly expiresAt: Date | null
  readonly notBefore: Date | null
  /** First-party caveat texts of the primary token, in order. */
  readonly caveats: readonly string[]
  /** Revocation id of the presented token (revoke exactly this token and its descendants). */
  readonly revocationId: string
}
