import type { AuditEventType, AuditPage, ListAuditOptions, Transaction } from '../store/index.js'
import type { Actor, Service } from './context.js'

/**
 * Appends one audit event in `tx`, at the service's clock, with the actor's IP and user agent
 * (and the key they acted with, as `via_key`).
 *
 * @example
 * await audit(svc, tx, who, 'renamed', user.id, key.id, { from: 'a', to: 'b' })
 */
export async function audit(
  svc: Pick<Service, 'clock'>,
  tx: Transaction,
  who: Actor,
  event: AuditEventType,
  userId: string,
  keyId: string | null,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await tx.audit.append({
    at: svc.clock.now(),
    event,
    userId,
    keyId,
    actor: who.actor,
    ip: who.meta.ip,
    userAgent: who.meta.userAgent,
    detail: who.viaKey === undefined ? detail : { ...detail, via_key: who.viaKey },
  })
}

/**
 * A user's audit events, newest first.
 *
 * @example
 * const { events, nextCursor } = await listAudit(svc, user.id, { keyId, limit: 20 })
 */
export function listAudit(
  svc: Pick<Service, 'store'>,
  userId: string,
  options: ListAuditOptions,
): Promise<AuditPage> {
  return svc.store.audit.list(userId, options)
}
