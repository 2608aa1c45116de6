import type BetterSqlite3 from 'better-sqlite3'
import { type KeyRecord, type KeySource, keyStatus, newKeyRecord, ownerOf } from '../keys.js'
import type { KeysPort } from '../port.js'
import { type Instant, toIso } from '../time.js'
import type { Sync } from './sync.js'

/** The synchronous form of `KeysPort` over one better-sqlite3 connection. */
export type KeysRepo = Sync<KeysPort>

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

/** The owner's columns beside a key row (all null when the user row is gone). */
interface OwnerColumns {
  owner_email: string | null
  owner_password_hash: string | null
  owner_created_at: string | null
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
  const byIdWithOwner = db.prepare<[string], KeyRow & OwnerColumns>(
    `SELECT k.*, u.email AS owner_email, u.password_hash AS owner_password_hash, u.created_at AS owner_created_at
     FROM keys k LEFT JOIN users u ON u.id = k.user_id WHERE k.id = ?`,
  )
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
     WHERE id = @id AND revoked_at IS NULL AND replaced_by IS NULL`,
  )
  const dueStmt = db.prepare<[string], KeyRow>(
    `SELECT * FROM keys WHERE revoke_after IS NOT NULL AND revoked_at IS NULL AND revoke_after <= ?
     ORDER BY revoke_after`,
  )
  const countActiveStmt = db.prepare<{ userId: string; now: string; sources: string | null }, { n: number }>(
    `SELECT count(*) AS n FROM keys WHERE user_id = @userId AND revoked_at IS NULL AND expires_at > @now
       AND (@sources IS NULL OR source IN (SELECT value FROM json_each(@sources)))`,
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
  const nthNewestCreationStmt = db
    .prepare<{ userId: string; since: string; sources: string | null; offset: number }, string>(
      `SELECT created_at FROM keys WHERE user_id = @userId AND created_at >= @since
         AND (@sources IS NULL OR source IN (SELECT value FROM json_each(@sources)))
       ORDER BY created_at DESC LIMIT 1 OFFSET @offset`,
    )
    .pluck()

  return {
    insert(key) {
      const rec = newKeyRecord(key)
      insertStmt.run({
        id: rec.id,
        userId: rec.userId,
        name: rec.name,
        hint: rec.hint,
        source: rec.source,
        kid: rec.kid,
        caveats: JSON.stringify(rec.caveats),
        createdAt: rec.createdAt,
        expiresAt: rec.expiresAt,
      })
      return rec
    },
    get(id, now) {
      const r = byId.get(id)
      return r && toKey(r, nowIsoOf(now))
    },
    getWithOwner(id, now) {
      const r = byIdWithOwner.get(id)
      if (r === undefined) return undefined
      const owner = ownerOf(r.user_id, r.owner_email, r.owner_password_hash, r.owner_created_at)
      return { key: toKey(r, nowIsoOf(now)), owner }
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
        sources: options.sources === undefined ? null : JSON.stringify(options.sources),
      })
      return row?.n ?? 0
    },
    recordUsage(reports) {
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
    nthNewestCreationSince(userId, since, n, options = {}) {
      return nthNewestCreationStmt.get({
        userId,
        since: toIso(since),
        sources: options.sources === undefined ? null : JSON.stringify(options.sources),
        offset: Math.max(0, n - 1),
      })
    },
  }
}
