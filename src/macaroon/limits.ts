/** Resource limits applied to untrusted input before any crypto runs. */
export const LIMITS = {
  /** Largest encoded token accepted, in bytes (of the text or binary given). */
  maxTokenBytes: 64 * 1024,
  /** Most caveats across a macaroon and its discharges. */
  maxCaveats: 1024,
  /** Deepest chain of discharges (a discharge whose caveats need discharges, ...). */
  maxDischargeDepth: 8,
  /** Most macaroons (primary + discharges) in one request. */
  maxMacaroons: 64,
} as const
