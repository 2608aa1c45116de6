import type { Instant } from './time.js'

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
  'exchanged',
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

/** What `AuditPort.append` takes. */
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

/** Options for `AuditPort.list`. */
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

/** Default page size of `AuditPort.list`. */
export const AUDIT_DEFAULT_LIMIT = 50
/** Largest page size of `AuditPort.list`. */
export const AUDIT_MAX_LIMIT = 500
