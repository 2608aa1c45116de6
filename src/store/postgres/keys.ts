import { type KeyRecord, type KeySource, keyStatus, newKeyRecord, ownerOf } from '../keys.js'
import type { KeysPort } from '../port.js'
import { type Instant, toIso } from '../time.js'
import { isoOf, type Queryable } from './queryable.js'

interface KeyRow {
  id: string
  user_id: string
  name: string
  hint: string
  source: KeySource
  kid: string
  caveats: unknown
  created_at: Date
  expires_at: Date
  last_used_at: Date | null
  last_used_ip: string | null
  last_used_user_agent: string | null
  revoked_at: Date | null
  revoked_reason: string | null
  replaced_by: string | null
  revoke_after: Date | null
}

/** The owner's columns beside a key row (all null when the user row is gone). */
interface OwnerColumns {
  owner_email: string | null
  owner_password_hash: string | null
  owner_created_at: Date | null
}

function parseCaveats(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((c): c is string => typeof c === 'string')) {
    throw new Error('keys.caveats is not an array of strings')
  }
  return value
}

function toKey(r: KeyRow, nowIso: string): KeyRecord {
  const revokedAt = isoOf(r.revoked_at)
  const expiresAt = isoOf(r.expires_at)
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    hint: r.hint,
    source: r.source,
    kid: r.kid,
    caveats: parseCaveats(r.caveats),
    createdAt: isoOf(r.created_at),
    expiresAt,
    lastUsedAt: isoOf(r.last_used_at),
    lastUsedIp: r.last_used_ip,
    lastUsedUserAgent: r.last_used_user_agent,
    revokedAt,
    revokedReason: r.revoked_reason,
    replacedBy: r.replaced_by,
    revokeAfter: isoOf(r.revoke_after),
    status: keyStatus({ revokedAt, expiresAt }, nowIso),
  }
}

const nowIsoOf = (now: Instant | undefined): string =>
  now === undefined ? new Date().toISOString() : toIso(now)

/**
 * The `keys` repository on PostgreSQL. State changes are conditional single statements (`WHERE
 * revoked_at IS NULL` …), so of two instances racing to revoke or replace a key exactly one is told
 * it did — which is what keeps background jobs on several instances from double-acting.
 *
 * @example
 * const keys = postgresKeys(pool)
 * await keys.list(uid, { includeRevoked: true })
 */
export function postgresKeys(q: Queryable): KeysPort {
  const many = async (text: string, values: unknown[], nowIso: string): Promise<KeyRecord[]> => {
    const { rows } = await q.query<KeyRow>(text, values)
    return rows.map((r) => toKey(r, nowIso))
  }
  const one = async (text: string, values: unknown[], nowIso: string): Promise<KeyRecord | undefined> =>
    (await many(text, values, nowIso))[0]
  const changed = async (text: string, values: unknown[]): Promise<boolean> =>
    ((await q.query(text, values)).rowCount ?? 0) > 0

  return {
    async insert(key) {
      const rec = newKeyRecord(key)
      // nothing to read back: in a transaction the insert goes with the next statement
      await q.write(
        `INSERT INTO keys (id, user_id, name, hint, source, kid, caveats, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          rec.id,
          rec.userId,
          rec.name,
          rec.hint,
          rec.source,
          rec.kid,
          JSON.stringify(rec.caveats),
          rec.createdAt,
          rec.expiresAt,
        ],
      )
      return rec
    },
    get(id, now) {
      return one('SELECT * FROM keys WHERE id = $1', [id], nowIsoOf(now))
    },
    async getWithOwner(id, now) {
      const { rows } = await q.query<KeyRow & OwnerColumns>(
        `SELECT k.*, u.email AS owner_email, u.password_hash AS owner_password_hash, u.created_at AS owner_created_at
         FROM keys k LEFT JOIN users u ON u.id = k.user_id WHERE k.id = $1`,
        [id],
      )
      const r = rows[0]
      if (r === undefined) return undefined
      const owner = ownerOf(r.user_id, r.owner_email, r.owner_password_hash, isoOf(r.owner_created_at))
      return { key: toKey(r, nowIsoOf(now)), owner }
    },
    getForUser(userId, id, now) {
      return one('SELECT * FROM keys WHERE id = $1 AND user_id = $2', [id, userId], nowIsoOf(now))
    },
    findActiveByName(userId, name, now) {
      const nowIso = nowIsoOf(now)
      return one(
        `SELECT * FROM keys WHERE user_id = $1 AND name = $2 AND revoked_at IS NULL AND expires_at > $3
         ORDER BY created_at DESC, ord DESC LIMIT 1`,
        [userId, name, nowIso],
        nowIso,
      )
    },
    list(userId, options = {}) {
      return many(
        `SELECT * FROM keys WHERE user_id = $1
           AND ($2 OR revoked_at IS NULL)
           AND ($3 OR source <> 'dashboard-session')
         ORDER BY created_at DESC, ord DESC`,
        [userId, options.includeRevoked === true, options.includeSessions === true],
        nowIsoOf(options.now),
      )
    },
    listSessions(userId, options = {}) {
      return many(
        `SELECT * FROM keys WHERE user_id = $1 AND source = 'dashboard-session' AND ($2 OR revoked_at IS NULL)
         ORDER BY created_at DESC, ord DESC`,
        [userId, options.includeRevoked === true],
        nowIsoOf(options.now),
      )
    },
    rename(id, name) {
      return changed('UPDATE keys SET name = $2 WHERE id = $1', [id, name])
    },
    revoke(id, at, reason, replacedBy) {
      return changed(
        `UPDATE keys SET revoked_at = $2, revoked_reason = $3, replaced_by = COALESCE($4, replaced_by)
         WHERE id = $1 AND revoked_at IS NULL`,
        [id, toIso(at), reason, replacedBy ?? null],
      )
    },
    markReplaced(id, replacedBy, revokeAfter) {
      return changed(
        `UPDATE keys SET replaced_by = $2, revoke_after = $3
         WHERE id = $1 AND revoked_at IS NULL AND replaced_by IS NULL`,
        [id, replacedBy, toIso(revokeAfter)],
      )
    },
    dueForRevocation(now) {
      const nowIso = toIso(now)
      return many(
        `SELECT * FROM keys WHERE revoke_after IS NOT NULL AND revoked_at IS NULL AND revoke_after <= $1
         ORDER BY revoke_after`,
        [nowIso],
        nowIso,
      )
    },
    async countActive(userId, now, options = {}) {
      const { rows } = await q.query<{ n: string }>(
        `SELECT count(*) AS n FROM keys WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
           AND ($3::text[] IS NULL OR source = ANY($3::text[]))`,
        [userId, toIso(now), options.sources === undefined ? null : [...options.sources]],
      )
      return Number(rows[0]?.n ?? 0)
    },
    async recordUsage(reports) {
      if (reports.length === 0) return 0
      // one statement for the batch; the latest report per key wins, and last use only moves forward
      const { rowCount } = await q.query(
        `UPDATE keys k SET last_used_at = u.at, last_used_ip = u.ip, last_used_user_agent = u.ua
         FROM (
           SELECT DISTINCT ON (id) id, at, ip, ua
           FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[]) AS r(id, at, ip, ua)
           ORDER BY id, at DESC
         ) u
         WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
        [
          reports.map((r) => r.tokenId),
          reports.map((r) => toIso(r.at)),
          reports.map((r) => r.ip ?? null),
          reports.map((r) => r.userAgent ?? null),
        ],
      )
      return rowCount ?? 0
    },
    hardDelete(id) {
      return changed('DELETE FROM keys WHERE id = $1', [id])
    },
    unusedSince(cutoff, now) {
      const nowIso = nowIsoOf(now)
      return many(
        `SELECT * FROM keys WHERE revoked_at IS NULL AND COALESCE(last_used_at, created_at) < $1 AND expires_at > $2
         ORDER BY COALESCE(last_used_at, created_at)`,
        [toIso(cutoff), nowIso],
        nowIso,
      )
    },
    revokedBefore(cutoff, now) {
      return many(
        'SELECT * FROM keys WHERE revoked_at IS NOT NULL AND revoked_at < $1 ORDER BY revoked_at',
        [toIso(cutoff)],
        nowIsoOf(now),
      )
    },
    expiredBefore(cutoff, now) {
      return many(
        'SELECT * FROM keys WHERE revoked_at IS NULL AND expires_at < $1 ORDER BY expires_at',
        [toIso(cutoff)],
        nowIsoOf(now),
      )
    },
    async nthNewestCreationSince(userId, since, n, options = {}) {
      const { rows } = await q.query<{ created_at: Date }>(
        `SELECT created_at FROM keys WHERE user_id = $1 AND created_at >= $2
           AND ($3::text[] IS NULL OR source = ANY ($3::text[]))
         ORDER BY created_at DESC OFFSET $4 LIMIT 1`,
        [
          userId,
          toIso(since),
          options.sources === undefined ? null : [...options.sources],
          Math.max(0, n - 1),
        ],
      )
      return rows[0] && isoOf(rows[0].created_at)
    },
  }
}
