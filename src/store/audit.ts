import type BetterSqlite3 from 'better-sqlite3'
import { type Instant, toIso } from './time.js'

/** The audit event kinds (DESIGN.md, "Token lifecycle"). */
export const AUDIT_EVENT_TYPES = [
  'created',
  'renamed',
  'revoked',
  'replaced',
  'rotated',
  'deleted',
  'hard_deleted',
  'auto_revoked',
  'login',
  'session_revoked',
] as const
/** An audit event kind. */
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]

/** One row of the append-only audit log. */
export interface AuditEvent {
  /** Monotonic id; also the pagination cursor. */
  id: number
  at: string
  event: AuditEventType
  userId: string | null
  /** The key the event is about; kept after the key row is hard-deleted. */
  keyId: string | null
  /** Who acted: a key id, a user id, or `system` for jobs. */
  actor: string
  ip: string | null
  userAgent: string | null
  /** Event-specific details (old/new name, reason, replacement id...). Never secrets. */
  detail: Record<string, unknown> | null
}

/** What {@link AuditRepo.append} takes. */
export interface NewAuditEvent {
  /** Default: the clock. */
  at?: Instant | undefined
  event: AuditEventType
  userId?: string | null | undefined
  keyId?: string | null | undefined
  actor: string
  ip?: string | null | undefined
  userAgent?: string | null | undefined
  detail?: Record<string, unknown> | null | undefined
}

/** Options for {@link AuditRepo.list}. */
export interface ListAuditOptions {
  /** Only events about this key. */
  keyId?: string | undefined
  /** Return events older than this cursor (a `nextCursor` from a previous page). */
  cursor?: number | undefined
  /** Page size, 1..500; default 50. */
  limit?: number | undefined
}

/** A page of audit events, newest first. */
export interface AuditPage {
  events: AuditEvent[]
  /** Pass as `cursor` for the next (older) page; null when this is the last page. */
  nextCursor: number | null
}

/** Typed access to the append-only `audit_events` table (UPDATE and DELETE are refused by triggers). */
export interface AuditRepo {
  /**
   * Append an event; returns it with its id.
   *
   * @example
   * store.audit.append({ event: 'revoked', userId, keyId, actor: callerKeyId, ip, userAgent })
   */
  append(event: NewAuditEvent): AuditEvent
  /**
   * A user's events, newest first, paginated by id.
   *
   * @example
   * const { events, nextCursor } = store.audit.list(uid, { keyId, limit: 20 })
   */
  list(userId: string, options?: ListAuditOptions): AuditPage
  /** One event by id. @example store.audit.get(42) */
  get(id: number): AuditEvent | undefined
}

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

/** Default page size of {@link AuditRepo.list}. */
export const AUDIT_DEFAULT_LIMIT = 50
/** Largest page size of {@link AuditRepo.list}. */
export const AUDIT_MAX_LIMIT = 500

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
      const id = Number(insertStmt.run(row).lastInsertRowid)
      return {
        id,
        at: row.at,
        event: row.event,
        userId: row.userId,
        keyId: row.keyId,
        actor: row.actor,
        ip: row.ip,
        userAgent: row.userAgent,
        detail: parseDetail(row.detail),
      }
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
