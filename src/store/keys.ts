import { type Instant, toIso } from './time.js'
import type { UserRecord } from './users.js'

/** Where a key came from (DESIGN.md, "Token lifecycle"). */
export const KEY_SOURCES = ['register', 'cli-login', 'dashboard-session', 'api', 'oauth', 'workload'] as const
/** Where a key came from. */
export type KeySource = (typeof KEY_SOURCES)[number]
/** Derived status: revoked if `revokedAt` is set, expired if `expiresAt <= now`, else active. */
export type KeyStatus = 'active' | 'revoked' | 'expired'

/** Metadata of one root token (never the token or its key). Times are ISO 8601 UTC strings. */
export interface KeyRecord {
  /** The token id, `tok_...`. */
  id: string
  userId: string
  name: string
  /** Identifying hint, e.g. `crumb_…b33f`. */
  hint: string
  source: KeySource
  /** Key-ring id the token's root key derives from. */
  kid: string
  /** First-party caveats of the root token, in the caveat language. */
  caveats: string[]
  createdAt: string
  expiresAt: string
  lastUsedAt: string | null
  lastUsedIp: string | null
  lastUsedUserAgent: string | null
  revokedAt: string | null
  revokedReason: string | null
  /** The key that took this one's place (same-device login, rotation). */
  replacedBy: string | null
  /** Rotation grace: when the periodic job is to revoke this key (see `KeysPort.dueForRevocation`). */
  revokeAfter: string | null
  /** Derived when the record was read (from the `now` given, or the clock). */
  status: KeyStatus
}

/** What `KeysPort.insert` takes. */
export interface NewKey extends Pick<KeyRecord, 'id' | 'userId' | 'name' | 'hint' | 'source' | 'kid'> {
  caveats?: readonly string[] | undefined
  createdAt: Instant
  expiresAt: Instant
}

/** A last-use report from a verifier (`POST /v1/usage`). */
export interface UsageReport {
  tokenId: string
  at: Instant
  ip?: string | null | undefined
  userAgent?: string | null | undefined
}

/** Options for `KeysPort.list`. */
export interface ListKeysOptions {
  /** Include revoked keys (default false). */
  includeRevoked?: boolean | undefined
  /** Include dashboard sessions (default false; see `KeysPort.listSessions`). */
  includeSessions?: boolean | undefined
  /** Time the status is derived at (default: the clock). */
  now?: Instant | undefined
}

/** Options for `KeysPort.listSessions`. */
export interface ListSessionsOptions {
  includeRevoked?: boolean | undefined
  now?: Instant | undefined
}

/**
 * Derive a key's status at `now`: revoked if `revokedAt` is set, expired if `expiresAt <= now`,
 * else active.
 *
 * @example
 * keyStatus({ revokedAt: null, expiresAt: '2020-01-01T00:00:00.000Z' }) // 'expired'
 */
export function keyStatus(
  key: Pick<KeyRecord, 'revokedAt' | 'expiresAt'>,
  now: Instant = new Date(),
): KeyStatus {
  if (key.revokedAt !== null) return 'revoked'
  return key.expiresAt <= toIso(now) ? 'expired' : 'active'
}

/**
 * The record of a key just inserted (both engines): what a read would return, without one.
 *
 * @example
 * const key = newKeyRecord({ id, userId, name: 'deploy', hint, source: 'api', kid, createdAt, expiresAt })
 */
export function newKeyRecord(key: NewKey): KeyRecord {
  const expiresAt = toIso(key.expiresAt)
  return {
    id: key.id,
    userId: key.userId,
    name: key.name,
    hint: key.hint,
    source: key.source,
    kid: key.kid,
    caveats: [...(key.caveats ?? [])],
    createdAt: toIso(key.createdAt),
    expiresAt,
    lastUsedAt: null,
    lastUsedIp: null,
    lastUsedUserAgent: null,
    revokedAt: null,
    revokedReason: null,
    replacedBy: null,
    revokeAfter: null,
    status: keyStatus({ revokedAt: null, expiresAt }),
  }
}

/**
 * The owner read beside a key row by `getWithOwner` (both engines): undefined when the user row is
 * gone, which the outer join reads as nulls.
 *
 * @example
 * const owner = ownerOf(r.user_id, r.owner_email, r.owner_password_hash, r.owner_created_at)
 */
export function ownerOf(
  userId: string,
  email: string | null,
  passwordHash: string | null,
  createdAt: string | null,
): UserRecord | undefined {
  if (email === null || passwordHash === null || createdAt === null) return undefined
  return { id: userId, email, passwordHash, createdAt }
}
