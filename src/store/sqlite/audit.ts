import type BetterSqlite3 from 'better-sqlite3'
import { AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, type AuditEvent, type AuditEventType } from '../audit.js'
import type { AuditPort } from '../port.js'
import { toIso } from '../time.js'
import type { Sync } from './sync.js'

/** The synchronous form of `AuditPort` over one better-sqlite3 connection. */
export type AuditRepo = Sync<AuditPort>

interface AuditRow {
  id: number
  at: string
  event: AuditEventType
  user_id: string | null
  key_id: string | null
  actor: string
  ip: string | null
  user_agent: string | null
  detail: string | null
}

function parseDetail(text: string | null): Record<string, unknown> | null {
  if (text === null) return null
  const value: unknown = JSON.parse(text)
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>
  return { value }
}

function toEvent(r: AuditRow): AuditEvent {
  return {
    id: r.id,
    at: r.at,
    event: r.event,
    userId: r.user_id,
    keyId: r.key_id,
    actor: r.actor,
    ip: r.ip,
    userAgent: r.user_agent,
    detail: parseDetail(r.detail),
  }
}

/**
 * Prepare the `audit_events` statements once for `db`.
 *
 * @example
 * const audit = createAuditRepo(db)
 */
export function createAuditRepo(db: BetterSqlite3.Database): AuditRepo {
  const insertStmt = db.prepare<Omit<AuditEvent, 'id' | 'detail'> & { detail: string | null }>(
    `INSERT INTO audit_events (at, event, user_id, key_id, actor, ip, user_agent, detail)
     VALUES (@at, @event, @userId, @keyId, @actor, @ip, @userAgent, @detail)`,
  )
  const byId = db.prepare<[number], AuditRow>('SELECT * FROM audit_events WHERE id = ?')
  const pageAll = db.prepare<{ userId: string; cursor: number; limit: number }, AuditRow>(
    'SELECT * FROM audit_events WHERE user_id = @userId AND id < @cursor ORDER BY id DESC LIMIT @limit',
  )
  const pageKey = db.prepare<{ userId: string; keyId: string; cursor: number; limit: number }, AuditRow>(
    `SELECT * FROM audit_events WHERE user_id = @userId AND key_id = @keyId AND id < @cursor
     ORDER BY id DESC LIMIT @limit`,
  )

  return {
    append(event) {
      const row = {
        at: toIso(event.at ?? new Date()),
        event: event.event,
        userId: event.userId ?? null,
        keyId: event.keyId ?? null,
        actor: event.actor,
        ip: event.ip ?? null,
        userAgent: event.userAgent ?? null,
        detail: event.detail == null ? null : JSON.stringify(event.detail),
      }
      insertStmt.run(row)
    },
    list(userId, options = {}) {
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? AUDIT_DEFAULT_LIMIT), 1), AUDIT_MAX_LIMIT)
      const cursor = options.cursor ?? Number.MAX_SAFE_INTEGER
      // fetch one extra row to know whether an older page exists
      const rows =
        options.keyId === undefined
          ? pageAll.all({ userId, cursor, limit: limit + 1 })
          : pageKey.all({ userId, keyId: options.keyId, cursor, limit: limit + 1 })
      const more = rows.length > limit
      const events = (more ? rows.slice(0, limit) : rows).map(toEvent)
      const last = events.at(-1)
      return { events, nextCursor: more && last ? last.id : null }
    },
    get(id) {
      const r = byId.get(id)
      return r && toEvent(r)
    },
  }
}
