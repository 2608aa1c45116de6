import { AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, type AuditEvent, type AuditEventType } from '../audit.js'
import type { AuditPort } from '../port.js'
import { toIso } from '../time.js'
import { isoOf, type Queryable } from './queryable.js'

interface AuditRow {
  id: string
  at: Date
  event: AuditEventType
  user_id: string | null
  key_id: string | null
  actor: string
  ip: string | null
  user_agent: string | null
  detail: unknown
}

function toEvent(r: AuditRow): AuditEvent {
  const detail = r.detail
  return {
    id: Number(r.id),
    at: isoOf(r.at),
    event: r.event,
    userId: r.user_id,
    keyId: r.key_id,
    actor: r.actor,
    ip: r.ip,
    userAgent: r.user_agent,
    detail:
      detail === null || detail === undefined
        ? null
        : typeof detail === 'object' && !Array.isArray(detail)
          ? (detail as Record<string, unknown>)
          : { value: detail },
  }
}

/**
 * The append-only audit log on PostgreSQL (triggers refuse UPDATE, DELETE and TRUNCATE).
 *
 * @example
 * await postgresAudit(client).append({ event: 'revoked', userId, keyId, actor })
 */
export function postgresAudit(q: Queryable): AuditPort {
  return {
    append(event) {
      // nobody reads the row back: in a transaction the insert goes with the next statement
      return q.write(
        `INSERT INTO audit_events (at, event, user_id, key_id, actor, ip, user_agent, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          toIso(event.at ?? new Date()),
          event.event,
          event.userId ?? null,
          event.keyId ?? null,
          event.actor,
          event.ip ?? null,
          event.userAgent ?? null,
          event.detail == null ? null : JSON.stringify(event.detail),
        ],
      )
    },
    async list(userId, options = {}) {
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? AUDIT_DEFAULT_LIMIT), 1), AUDIT_MAX_LIMIT)
      const cursor = options.cursor ?? Number.MAX_SAFE_INTEGER
      // one extra row tells whether an older page exists
      const { rows } = await q.query<AuditRow>(
        `SELECT * FROM audit_events WHERE user_id = $1 AND ($2::text IS NULL OR key_id = $2) AND id < $3
         ORDER BY id DESC LIMIT $4`,
        [userId, options.keyId ?? null, cursor, limit + 1],
      )
      const more = rows.length > limit
      const events = (more ? rows.slice(0, limit) : rows).map(toEvent)
      const last = events.at(-1)
      return { events, nextCursor: more && last ? last.id : null }
    },
    async get(id) {
      if (!Number.isSafeInteger(id)) return undefined
      const { rows } = await q.query<AuditRow>('SELECT * FROM audit_events WHERE id = $1', [id])
      return rows[0] && toEvent(rows[0])
    },
  }
}
