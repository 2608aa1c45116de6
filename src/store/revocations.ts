import { type Instant, toIso } from './time.js'

/** What `RevocationsPort.add` takes. */
export interface NewRevocation {
  tokenId: string
  /** Omit (or pass null/'') to revoke the whole root token. */
  revocationId?: string | null | undefined
  expiresAt: Instant
  /** Default: the clock. */
  createdAt?: Instant | undefined
  /**
   * Whole-token entries only: the entry applies from this instant (a rotation's grace end), not at
   * once. Re-adding an entry that applies sooner (or at once) while this one is not yet in force
   * replaces it under a new feed position, so readers following the cursor receive it.
   */
  effectiveAt?: Instant | null | undefined
}

/**
 * The stored fields of a new entry as both engines write them: revocation id '' for a whole-token
 * entry, ISO times, and `effectiveAt` only on a whole-token entry (null: in force at once, also
 * when it is not a readable time).
 *
 * @example
 * const { revocationId, createdAt, effectiveAt } = newEntryFields({ tokenId, expiresAt, effectiveAt: graceEnd })
 */
export function newEntryFields(revocation: NewRevocation): {
  revocationId: string
  createdAt: string
  effectiveAt: string | null
} {
  const revocationId = revocation.revocationId ?? ''
  const from =
    revocationId === '' && revocation.effectiveAt != null ? new Date(revocation.effectiveAt) : undefined
  // fail closed: an unreadable instant means at once
  const effectiveAt = from === undefined || Number.isNaN(from.getTime()) ? null : from.toISOString()
  return { revocationId, createdAt: toIso(revocation.createdAt ?? new Date()), effectiveAt }
}

/**
 * Does a new entry replace the stored one: the stored one is not in force yet at `createdAt`, and
 * the new one applies sooner (or at once)? Arguments are ISO strings (`toIso`), compared as times.
 *
 * @example
 * appliesSooner('2027-01-01T01:00:00.000Z', '2027-01-01T00:00:00.000Z', null) // true
 */
export function appliesSooner(
  existing: string | null,
  createdAt: string,
  effectiveAt: string | null,
): boolean {
  if (existing === null) return false
  const from = Date.parse(existing)
  if (from <= Date.parse(createdAt)) return false
  return effectiveAt === null || Date.parse(effectiveAt) < from
}
