import type { Request } from 'express'
import type * as z from 'zod'
import type { CaveatRegistry } from '../../caveats/index.js'
import { formatInstant } from '../../caveats/lib/instant.js'
import { CrumbError } from '../errors.js'
import type { AuditEventType, KeyRecord, KeySource, UserRecord } from '../store/index.js'
import { mintRootToken } from '../token/index.js'
import { type RequestMeta, requestMeta, type ServiceContext } from './context.js'
import { RateLimited, ValidationProblem } from './problem.js'
import type { keySchema } from './schemas.js'

/** A key as the API shows it (DESIGN.md "Key"). */
export type KeyJson = z.infer<typeof keySchema>

/**
 * A key row as JSON (snake_case, RFC 3339 times).
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

/** Who acts, for the audit log: the user (by email) and the key they presented, if any. */
export interface Actor {
  readonly actor: string
  readonly viaKey?: string
  readonly meta: RequestMeta
}

function appendAudit(
  ctx: ServiceContext,
  who: Actor,
  event: AuditEventType,
  userId: string,
  keyId: string | null,
  detail: Record<string, unknown> = {},
): void {
  ctx.store.audit.append({
    at: ctx.clock.now(),
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
 * Checks caveat texts with the registry; a bad one is a 400 naming its index.
 *
 * @example
 * const expiresAt = validateCaveats(ctx, ['org = acme', 'ops = deploy'])
 */
export function validateCaveats(ctx: ServiceContext, caveats: readonly string[]): Date | null {
  let earliest: number | null = null
  const issues = []
  for (const [i, text] of caveats.entries()) {
    try {
      const parsed = ctx.registry.parseCaveat(text)
      if (parsed.kind.name === 'expires' && typeof parsed.value === 'number') {
        earliest = earliest === null ? parsed.value : Math.min(earliest, parsed.value)
      }
    } catch (e) {
      issues.push({ in: 'body' as const, path: `caveats.${i}`, message: (e as Error).message })
    }
  }
  if (issues.length > 0) {
    throw new ValidationProblem(
      `caveat ${issues[0]?.path.slice(8)} is not valid: ${issues[0]?.message}`,
      issues,
    )
  }
  return earliest === null ? null : new Date(earliest)
}

/**
 * Whether a caveat is an `expires` whose instant has passed (at `now` exactly, too): a key
 * carrying it could never be used. Key creation refuses such a caveat; rotation drops it.
 *
 * @example
 * isPastExpiry(ctx.registry, 'expires = 2020-01-01T00:00:00Z', new Date()) // true
 */
export function isPastExpiry(registry: CaveatRegistry, caveat: string, now: Date): boolean {
  const parsed = registry.parseCaveat(caveat)
  return parsed.kind.name === 'expires' && typeof parsed.value === 'number' && parsed.value <= now.getTime()
}

/**
 * Refuses a key creation when the user already created `keyCreateLimit` API keys in the window.
 *
 * @example
 * checkCreationLimit(ctx, user.id)
 */
export function checkCreationLimit(ctx: ServiceContext, userId: string): void {
  const now = ctx.clock.now().getTime()
  const limit = ctx.config.keyCreateLimit
  const times = ctx.store.keys.creationTimesSince(userId, new Date(now - ctx.config.keyCreateWindowMs), {
    sources: ['api'],
    limit,
  })
  if (times.length < limit) return
  const oldest = times.at(-1) ?? new Date(now).toISOString()
  const retryMs = new Date(oldest).getTime() + ctx.config.keyCreateWindowMs - now
  throw new RateLimited(
    `at most ${ctx.config.keyCreateLimit} keys may be created per ${windowText(ctx.config.keyCreateWindowMs)}`,
    retryMs / 1000,
  )
}

/** A rate-limit window in words (#18 item 11): `hour`, `day`, `15 minutes`. */
function windowText(ms: number): string {
  if (ms === 3_600_000) return 'hour'
  if (ms === 86_400_000) return 'day'
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hours`
  return `${Math.round(ms / 60_000)} minutes`
}

/** What {@link mintKey} takes. */
export interface MintKeyOptions {
  readonly user: UserRecord
  readonly name: string
  readonly source: KeySource
  readonly caveats?: readonly string[]
  readonly ttlMs: number
  /** Revoke an active key of the same (user, name) as `replaced` (one key per device). */
  readonly replaceSameName?: boolean
  readonly who: Actor
  /** Extra audit events about the new key (`login`). */
  readonly alsoAudit?: readonly AuditEventType[]
  /** Runs inside the transaction after the key is inserted (device flow: consume the code). */
  readonly inTransaction?: (key: KeyRecord) => void
}

/** A freshly minted key: the token (shown once) and its metadata. */
export interface MintedKey {
  readonly token: string
  readonly key: KeyRecord
  readonly replaced: KeyRecord | undefined
}

/**
 * Mints a root token (`expires` first, then the key's caveats), stores its metadata, audits
 * `created` and, for a same-name login, revokes the earlier key as `replaced` — one transaction.
 *
 * @example
 * const { token, key } = mintKey(ctx, { user, name: 'CLI login on laptop', source: 'cli-login', ttlMs, replaceSameName: true, who })
 */
export function mintKey(ctx: ServiceContext, options: MintKeyOptions): MintedKey {
  const caveats = [...(options.caveats ?? [])]
  const userExpiry = validateCaveats(ctx, caveats)
  const now = ctx.clock.now()
  // whole seconds keep the caveat text short: `expires = 2026-04-01T12:00:00Z`
  const serverExpiry = Math.floor((now.getTime() + options.ttlMs) / 1000) * 1000
  const expiresAt = new Date(Math.min(serverExpiry, userExpiry?.getTime() ?? Number.POSITIVE_INFINITY))
  const minted = mintRootToken({
    ring: ctx.ring,
    userId: options.user.id,
    caveats: [`expires = ${formatInstant(serverExpiry)}`, ...caveats],
    ...(ctx.config.publicUrl === undefined ? {} : { location: ctx.config.publicUrl }),
  })
  const result = ctx.store.transaction((): MintedKey => {
    const previous = options.replaceSameName
      ? ctx.store.keys.findActiveByName(options.user.id, options.name, now)
      : undefined
    const key = ctx.store.keys.insert({
      id: minted.tokenId,
      userId: options.user.id,
      name: options.name,
      hint: minted.hint,
      source: options.source,
      kid: minted.kid,
      caveats,
      createdAt: now,
      expiresAt,
    })
    appendAudit(ctx, options.who, 'created', options.user.id, key.id, { name: key.name, source: key.source })
    for (const event of options.alsoAudit ?? []) {
      appendAudit(ctx, options.who, event, options.user.id, key.id, { source: key.source })
    }
    let replaced: KeyRecord | undefined
    if (previous !== undefined) {
      ctx.store.keys.revoke(previous.id, now, 'replaced', key.id)
      ctx.store.revocations.add({ tokenId: previous.id, expiresAt: previous.expiresAt, createdAt: now })
      appendAudit(ctx, options.who, 'replaced', options.user.id, previous.id, { replaced_by: key.id })
      replaced = ctx.store.keys.get(previous.id, now)
    }
    options.inTransaction?.(key)
    return { token: minted.token, key, replaced }
  })
  if (result.replaced !== undefined) ctx.feed.sync()
  return result
}

/** What {@link revokeKey} takes. */
export interface RevokeKeyOptions {
  readonly key: KeyRecord
  readonly who: Actor
  readonly event: AuditEventType
  readonly reason: string
  /** Refuse to revoke the user's last active key (409 `last_key_protected`). */
  readonly protectLast: boolean
  readonly detail?: Record<string, unknown>
}

/**
 * Revokes a key: marks the row, adds the whole-token revocation entry (kept until the key would
 * have expired), audits — one transaction — then wakes the feed. Idempotent for an already
 * revoked key. Returns the updated row.
 *
 * @example
 * revokeKey(ctx, { key, who, event: 'revoked', reason: 'user', protectLast: true })
 */
export function revokeKey(ctx: ServiceContext, options: RevokeKeyOptions): KeyRecord {
  const now = ctx.clock.now()
  const changed = ctx.store.transaction(() => revokeInTransaction(ctx, options, now))
  if (changed) ctx.feed.sync()
  const after = ctx.store.keys.get(options.key.id, now)
  if (after === undefined) throw new CrumbError('not_found', 'no such key')
  return after
}

function revokeInTransaction(ctx: ServiceContext, options: RevokeKeyOptions, now: Date): boolean {
  const current = ctx.store.keys.get(options.key.id, now)
  if (current === undefined || current.revokedAt !== null) return false
  if (
    options.protectLast &&
    current.status === 'active' &&
    current.source !== 'dashboard-session' &&
    ctx.store.keys.countActive(current.userId, now, { excludeSessions: true }) <= 1
  ) {
    throw new CrumbError(
      'last_key_protected',
      'this is your last active key; create another before revoking it',
    )
  }
  ctx.store.keys.revoke(current.id, now, options.reason)
  ctx.store.revocations.add({ tokenId: current.id, expiresAt: current.expiresAt, createdAt: now })
  appendAudit(ctx, options.who, options.event, current.userId, current.id, {
    reason: options.reason,
    ...options.detail,
  })
  return true
}

/**
 * Hard delete: revokes (with last-key protection) then deletes the row; the revocation entry and
 * the audit rows outlive it.
 *
 * @example
 * hardDeleteKey(ctx, key, who)
 */
export function hardDeleteKey(ctx: ServiceContext, key: KeyRecord, who: Actor): void {
  const now = ctx.clock.now()
  ctx.store.transaction(() => {
    const current = ctx.store.keys.get(key.id, now)
    if (current === undefined) throw new CrumbError('not_found', 'no such key')
    revokeInTransaction(
      ctx,
      { key: current, who, event: 'revoked', reason: 'deleted', protectLast: true },
      now,
    )
    ctx.store.keys.hardDelete(current.id)
    appendAudit(ctx, who, 'deleted', current.userId, current.id, { name: current.name })
  })
  ctx.feed.sync()
}

/** Result of {@link rotateKey}. */
export interface RotatedKey {
  readonly token: string
  readonly key: KeyRecord
  readonly previous: KeyRecord
}

/**
 * Rotation: mints a replacement with the same name and caveats (a fresh lifetime as long as the
 * old one's, capped) and revokes the old key now (`graceMs` 0) or lets the jobs revoke it after
 * the grace period. Audits `rotated` on the old key.
 *
 * @example
 * const { token, key, previous } = rotateKey(ctx, user, old, 3_600_000, who)
 */
export function rotateKey(
  ctx: ServiceContext,
  user: UserRecord,
  old: KeyRecord,
  graceMs: number,
  who: Actor,
): RotatedKey {
  const lifetime = new Date(old.expiresAt).getTime() - new Date(old.createdAt).getTime()
  const ttlMs = Math.min(Math.max(lifetime, 60_000), ctx.config.tokenMaxTtlMs)
  const now = ctx.clock.now()
  // user-chosen `expires` caveats would make the replacement dead on arrival: drop past ones
  const caveats = old.caveats.filter((c) => !isPastExpiry(ctx.registry, c, now))
  const result = ctx.store.transaction((): RotatedKey => {
    const current = ctx.store.keys.get(old.id, now)
    if (current === undefined) throw new CrumbError('not_found', 'no such key')
    if (current.revokedAt !== null) throw new CrumbError('conflict', 'a revoked key cannot be rotated')
    const minted = mintKey(ctx, { user, name: current.name, source: 'api', caveats, ttlMs, who })
    if (graceMs === 0) {
      ctx.store.keys.revoke(current.id, now, 'rotated', minted.key.id)
      ctx.store.revocations.add({ tokenId: current.id, expiresAt: current.expiresAt, createdAt: now })
    } else {
      ctx.store.keys.markReplaced(current.id, minted.key.id, new Date(now.getTime() + graceMs))
    }
    appendAudit(ctx, who, 'rotated', user.id, current.id, { replaced_by: minted.key.id, grace_ms: graceMs })
    const previous = ctx.store.keys.get(current.id, now)
    if (previous === undefined) throw new Error('rotated key vanished')
    return { token: minted.token, key: minted.key, previous }
  })
  ctx.feed.sync()
  return result
}

/**
 * Audits an event outside the key helpers (login, session revocation by the user...).
 *
 * @example
 * audit(ctx, who, 'login', user.id, key.id)
 */
export function audit(
  ctx: ServiceContext,
  who: Actor,
  event: AuditEventType,
  userId: string,
  keyId: string | null,
  detail?: Record<string, unknown>,
): void {
  appendAudit(ctx, who, event, userId, keyId, detail)
}

/**
 * The actor of a request: the user (by email), the key presented (if any), IP and user agent.
 *
 * @example
 * const who = actorOf(req, auth.user, auth.key.id)
 */
export function actorOf(req: Request, user: Pick<UserRecord, 'email'>, viaKey?: string): Actor {
  return { actor: user.email, meta: requestMeta(req), ...(viaKey === undefined ? {} : { viaKey }) }
}
