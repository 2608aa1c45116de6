import type BetterSqlite3 from 'better-sqlite3'
import { type Instant, toIso } from './time.js'

/** Where a key came from (DESIGN.md, "Token lifecycle"). */
export const KEY_SOURCES = ['register', 'cli-login', 'dashboard-session', 'api'] as const
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
  /** Rotation grace: when the periodic job is to revoke this key (see {@link KeysRepo.dueForRevocation}). */
  revokeAfter: string | null
  /** Derived when the record was read (from the `now` given, or the clock). */
  status: KeyStatus
}

/** What {@link KeysRepo.insert} takes. */
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

/** Options for {@link KeysRepo.list}. */
export interface ListKeysOptions {
  /** Include revoked keys (default false). */
  includeRevoked?: boolean | undefined
  /** Include dashboard sessions (default false; see {@link KeysRepo.listSessions}). */
  includeSessions?: boolean | undefined
  /** Time the status is derived at (default: the clock). */
  now?: Instant | undefined
}

/** Options for {@link KeysRepo.listSessions}. */
export interface ListSessionsOptions {
  includeRevoked?: boolean | undefined
  now?: Instant | undefined
}

/** Typed access to the `keys` table. Read methods take an optional `now` for the derived status. */
export interface KeysRepo {
  /**
   * Insert a key's metadata; returns the stored record.
   *
   * @example
   * store.keys.insert({ id, userId, name: 'CLI login on laptop', hint, source: 'cli-login', kid,
   *   caveats: [], createdAt: now, expiresAt })
   */
  insert(key: NewKey): KeyRecord
  /** The key with this id. @example store.keys.get('tok_abc') */
  get(id: string, now?: Instant): KeyRecord | undefined
  /** The key with this id if it belongs to `userId` (else undefined). @example store.keys.getForUser(uid, id) */
  getForUser(userId: string, id: string, now?: Instant): KeyRecord | undefined
  /**
   * The newest active (not revoked, not expired) key of `userId` named `name`: the key a new
   * `crumb login` on the same device replaces.
   *
   * @example
   * const old = store.keys.findActiveByName(uid, 'CLI login on laptop', now)
   */
  findActiveByName(userId: string, name: string, now?: Instant): KeyRecord | undefined
  /**
   * A user's keys, newest first. Hides revoked keys and dashboard sessions unless asked;
   * expired keys are listed (with status `expired`).
   *
   * @example
   * store.keys.list(uid, { includeRevoked: true })
   */
  list(userId: string, options?: ListKeysOptions): KeyRecord[]
  /** A user's dashboard sessions, newest first; revoked ones only if asked. @example store.keys.listSessions(uid) */
  listSessions(userId: string, options?: ListSessionsOptions): KeyRecord[]
  /** Rename a key; false when no such key. @example store.keys.rename(id, 'deploy (CI)') */
  rename(id: string, name: string): boolean
  /**
   * Revoke a key at `at`. No-op (returns false) if it is already revoked or does not exist;
   * true when this call revoked it. `replacedBy` records the key that replaces it.
   *
   * @example
   * if (store.keys.revoke(id, now, 'user')) store.revocations.add({ tokenId: id, expiresAt })
   */
  revoke(id: string, at: Instant, reason: string, replacedBy?: string): boolean
  /**
   * Rotation: record the replacement and schedule revocation after the grace period. Leaves the key
   * active until the job revokes it. False when the key is missing or already revoked.
   *
   * @example
   * store.keys.markReplaced(oldId, newId, new Date(Date.now() + graceMs))
   */
  markReplaced(id: string, replacedBy: string, revokeAfter: Instant): boolean
  /** Unrevoked keys whose rotation grace has ended (`revoke_after <= now`). @example store.keys.dueForRevocation(now) */
  dueForRevocation(now: Instant): KeyRecord[]
  /**
   * Number of active keys of a user at `now` (for last-key protection); optionally not counting
   * dashboard sessions.
   *
   * @example
   * if (store.keys.countActive(uid, now, { excludeSessions: true }) <= 1) throw lastKeyProtected()
   */
  countActive(userId: string, now: Instant, options?: { excludeSessions?: boolean | undefined }): number
  /**
   * Apply last-use reports in one transaction. `last_used_*` only moves forward: a report older
   * than the stored one, or for an unknown key, is ignored. Returns the number of rows updated.
   *
   * @example
   * store.keys.recordUsage([{ tokenId, at: '2026-01-01T00:00:00Z', ip: '10.0.0.1', userAgent: 'curl/8' }])
   */
  recordUsage(reports: readonly UsageReport[]): number
  /** Delete a key row for good (its audit rows and revocation entries stay). @example store.keys.hardDelete(id) */
  hardDelete(id: string): boolean
  /**
   * Keys active at `now` not used (or, never used, not created) since `cutoff`: candidates for the
   * 90-day unused revocation job.
   *
   * @example
   * store.keys.unusedSince(new Date(Date.now() - 90 * DAY))
   */
  unusedSince(cutoff: Instant, now?: Instant): KeyRecord[]
  /** Keys revoked before `cutoff`: candidates for the 30-day hard delete. @example store.keys.revokedBefore(cutoff) */
  revokedBefore(cutoff: Instant, now?: Instant): KeyRecord[]
  /** Unrevoked keys that expired before `cutoff` (for a cleanup job). @example store.keys.expiredBefore(cutoff) */
  expiredBefore(cutoff: Instant, now?: Instant): KeyRecord[]
  /**
   * Creation times, newest first, of a user's keys created at or after `since` — at most `limit`
   * of them, optionally only of some sources. For a creation rate limit: fewer than `limit` means
   * room left; otherwise the last one is the creation whose window ends first (Retry-After).
   *
   * @example
   * store.keys.creationTimesSince(uid, new Date(Date.now() - 3_600_000), { sources: ['api'], limit: 10 })
   */
  creationTimesSince(
    userId: string,
    since: Instant,
    options?: { sources?: readonly KeySource[] | undefined; limit?: number | undefined },
  ): string[]
}

interface KeyRow {
  id: string
  user_id: string
  name: string
  hint: string
  source: KeySource
  kid: string
  caveats: string
  created_at: string
  expires_at: string
  last_used_at: string | null
  last_used_ip: string | null
  last_used_user_agent: string | null
  revoked_at: string | null
  revoked_reason: string | null
  replaced_by: string | null
  revoke_after: string | null
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

function parseCaveats(text: string): string[] {
  const value: unknown = JSON.parse(text)
  if (!Array.isArray(value) || !value.every((c): c is string => typeof c === 'string')) {
    throw new Error('keys.caveats is not an array of strings')
  }
  return value
}

function toKey(r: KeyRow, nowIso: string): KeyRecord {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    hint: r.hint,
    source: r.source,
    kid: r.kid,
    caveats: parseCaveats(r.caveats),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    lastUsedIp: r.last_used_ip,
    lastUsedUserAgent: r.last_used_user_agent,
    revokedAt: r.revoked_at,
    revokedReason: r.revoked_reason,
    replacedBy: r.replaced_by,
    revokeAfter: r.revoke_after,
    status: keyStatus({ revokedAt: r.revoked_at, expiresAt: r.expires_at }, nowIso),
  }
}

const nowIsoOf = (now: Instant | undefined): string =>
  now === undefined ? new Date().toISOString() : toIso(now)
const flag = (b: boolean | undefined): number => (b ? 1 : 0)

/**
 * Prepare the `keys` statements once for `db`.
 *
 * @example
 * const keys = createKeysRepo(db)
 */
export function createKeysRepo(db: BetterSqlite3.Database): KeysRepo {
  const insertStmt = db.prepare<
    Pick<KeyRecord, 'id' | 'userId' | 'name' | 'hint' | 'source' | 'kid' | 'createdAt' | 'expiresAt'> & {
      caveats: string
    }
  >(
    `INSERT INTO keys (id, user_id, name, hint, source, kid, caveats, created_at, expires_at)
     VALUES (@id, @userId, @name, @hint, @source, @kid, @caveats, @createdAt, @expiresAt)`,
  )
  const byId = db.prepare<[string], KeyRow>('SELECT * FROM keys WHERE id = ?')
  const byIdForUser = db.prepare<[string, string], KeyRow>('SELECT * FROM keys WHERE id = ? AND user_id = ?')
  const activeByName = db.prepare<[string, string, string], KeyRow>(
    `SELECT * FROM keys WHERE user_id = ? AND name = ? AND revoked_at IS NULL AND expires_at > ?
     ORDER BY created_at DESC, rowid DESC LIMIT 1`,
  )
  const listStmt = db.prepare<{ userId: string; includeRevoked: number; includeSessions: number }, KeyRow>(
    `SELECT * FROM keys WHERE user_id = @userId
       AND (@includeRevoked OR revoked_at IS NULL)
       AND (@includeSessions OR source <> 'dashboard-session')
     ORDER BY created_at DESC, rowid DESC`,
  )
  const sessionsStmt = db.prepare<{ userId: string; includeRevoked: number }, KeyRow>(
    `SELECT * FROM keys WHERE user_id = @userId AND source = 'dashboard-session'
       AND (@includeRevoked OR revoked_at IS NULL)
     ORDER BY created_at DESC, rowid DESC`,
  )
  const renameStmt = db.prepare<[string, string]>('UPDATE keys SET name = ? WHERE id = ?')
  const revokeStmt = db.prepare<{ id: string; at: string; reason: string; replacedBy: string | null }>(
    `UPDATE keys SET revoked_at = @at, revoked_reason = @reason, replaced_by = COALESCE(@replacedBy, replaced_by)
     WHERE id = @id AND revoked_at IS NULL`,
  )
  const markReplacedStmt = db.prepare<{ id: string; replacedBy: string; revokeAfter: string }>(
    `UPDATE keys SET replaced_by = @replacedBy, revoke_after = @revokeAfter
     WHERE id = @id AND revoked_at IS NULL`,
  )
  const dueStmt = db.prepare<[string], KeyRow>(
    `SELECT * FROM keys WHERE revoke_after IS NOT NULL AND revoked_at IS NULL AND revoke_after <= ?
     ORDER BY revoke_after`,
  )
  const countActiveStmt = db.prepare<{ userId: string; now: string; excludeSessions: number }, { n: number }>(
    `SELECT count(*) AS n FROM keys WHERE user_id = @userId AND revoked_at IS NULL AND expires_at > @now
       AND NOT (@excludeSessions AND source = 'dashboard-session')`,
  )
  const usageStmt = db.prepare<{ id: string; at: string; ip: string | null; userAgent: string | null }>(
    `UPDATE keys SET last_used_at = @at, last_used_ip = @ip, last_used_user_agent = @userAgent
     WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)`,
  )
  const deleteStmt = db.prepare<[string]>('DELETE FROM keys WHERE id = ?')
  const unusedStmt = db.prepare<[string, string], KeyRow>(
    `SELECT * FROM keys WHERE revoked_at IS NULL AND COALESCE(last_used_at, created_at) < ? AND expires_at > ?
     ORDER BY COALESCE(last_used_at, created_at)`,
  )
  const revokedBeforeStmt = db.prepare<[string], KeyRow>(
    'SELECT * FROM keys WHERE revoked_at IS NOT NULL AND revoked_at < ? ORDER BY revoked_at',
  )
  const expiredBeforeStmt = db.prepare<[string], KeyRow>(
    'SELECT * FROM keys WHERE revoked_at IS NULL AND expires_at < ? ORDER BY expires_at',
  )
  const creationTimesStmt = db
    .prepare<{ userId: string; since: string; sources: string | null; limit: number }, string>(
      `SELECT created_at FROM keys WHERE user_id = @userId AND created_at >= @since
         AND (@sources IS NULL OR source IN (SELECT value FROM json_each(@sources)))
       ORDER BY created_at DESC LIMIT @limit`,
    )
    .pluck()

  const recordUsageTx = db.transaction((reports: readonly UsageReport[]): number => {
    let changed = 0
    for (const r of reports) {
      changed += usageStmt.run({
        id: r.tokenId,
        at: toIso(r.at),
        ip: r.ip ?? null,
        userAgent: r.userAgent ?? null,
      }).changes
    }
    return changed
  })

  return {
    insert(key) {
      const rec = {
        id: key.id,
        userId: key.userId,
        name: key.name,
        hint: key.hint,
        source: key.source,
        kid: key.kid,
        caveats: [...(key.caveats ?? [])],
        createdAt: toIso(key.createdAt),
        expiresAt: toIso(key.expiresAt),
      }
      insertStmt.run({ ...rec, caveats: JSON.stringify(rec.caveats) })
      return {
        ...rec,
        lastUsedAt: null,
        lastUsedIp: null,
        lastUsedUserAgent: null,
        revokedAt: null,
        revokedReason: null,
        replacedBy: null,
        revokeAfter: null,
        status: keyStatus({ revokedAt: null, expiresAt: rec.expiresAt }),
      }
    },
    get(id, now) {
      const r = byId.get(id)
      return r && toKey(r, nowIsoOf(now))
    },
    getForUser(userId, id, now) {
      const r = byIdForUser.get(id, userId)
      return r && toKey(r, nowIsoOf(now))
    },
    findActiveByName(userId, name, now) {
      const nowIso = nowIsoOf(now)
      const r = activeByName.get(userId, name, nowIso)
      return r && toKey(r, nowIso)
    },
    list(userId, options = {}) {
      const nowIso = nowIsoOf(options.now)
      return listStmt
        .all({
          userId,
          includeRevoked: flag(options.includeRevoked),
          includeSessions: flag(options.includeSessions),
        })
        .map((r) => toKey(r, nowIso))
    },
    listSessions(userId, options = {}) {
      const nowIso = nowIsoOf(options.now)
      return sessionsStmt
        .all({ userId, includeRevoked: flag(options.includeRevoked) })
        .map((r) => toKey(r, nowIso))
    },
    rename(id, name) {
      return renameStmt.run(name, id).changes > 0
    },
    revoke(id, at, reason, replacedBy) {
      return revokeStmt.run({ id, at: toIso(at), reason, replacedBy: replacedBy ?? null }).changes > 0
    },
    markReplaced(id, replacedBy, revokeAfter) {
      return markReplacedStmt.run({ id, replacedBy, revokeAfter: toIso(revokeAfter) }).changes > 0
    },
    dueForRevocation(now) {
      const nowIso = toIso(now)
      return dueStmt.all(nowIso).map((r) => toKey(r, nowIso))
    },
    countActive(userId, now, options = {}) {
      const row = countActiveStmt.get({
        userId,
        now: toIso(now),
        excludeSessions: flag(options.excludeSessions),
      })
      return row?.n ?? 0
    },
    recordUsage(reports) {
      return reports.length === 0 ? 0 : recordUsageTx.immediate(reports)
    },
    hardDelete(id) {
      return deleteStmt.run(id).changes > 0
    },
    unusedSince(cutoff, now) {
      const nowIso = nowIsoOf(now)
      return unusedStmt.all(toIso(cutoff), nowIso).map((r) => toKey(r, nowIso))
    },
    revokedBefore(cutoff, now) {
      const nowIso = nowIsoOf(now)
      return revokedBeforeStmt.all(toIso(cutoff)).map((r) => toKey(r, nowIso))
    },
    expiredBefore(cutoff, now) {
      const nowIso = nowIsoOf(now)
      return expiredBeforeStmt.all(toIso(cutoff)).map((r) => toKey(r, nowIso))
    },
    creationTimesSince(userId, since, options = {}) {
      return creationTimesStmt.all({
        userId,
        since: toIso(since),
        sources: options.sources === undefined ? null : JSON.stringify(options.sources),
        limit: options.limit ?? -1,
      })
    },
  }
}
