import type { KeyRecord, KeySource, KeyStatus } from '../store/index.js'

/** A key as the API shows it (DESIGN.md "Key"): snake_case, RFC 3339 times. */
export interface KeyJson {
  id: string
  name: string
  hint: string
  source: KeySource
  status: KeyStatus
  caveats: string[]
  created_at: string
  expires_at: string
  last_used_at: string | null
  last_used_ip: string | null
  last_used_user_agent: string | null
  revoked_at: string | null
  /** When a rotated key stops working (its grace period's end); null otherwise. */
  grace_ends_at: string | null
}

/**
 * A key record as JSON.
 *
 * @example
 * res.json({ key: keyJson(record) })
 */
export function keyJson(key: KeyRecord): KeyJson {
  return {
    id: key.id,
    name: key.name,
    hint: key.hint,
    source: key.source,
    status: key.status,
    caveats: [...key.caveats],
    created_at: key.createdAt,
    expires_at: key.expiresAt,
    last_used_at: key.lastUsedAt,
    last_used_ip: key.lastUsedIp,
    last_used_user_agent: key.lastUsedUserAgent,
    revoked_at: key.revokedAt,
    grace_ends_at: key.revokedAt === null ? key.revokeAfter : null,
  }
}
