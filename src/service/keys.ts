import type { CaveatRegistry } from '../../caveats/index.js'
import { formatInstant } from '../../caveats/lib/instant.js'
import { CrumbError, RateLimited, ValidationProblem } from '../errors.js'
import type { AuditEventType, KeyRecord, KeySource, Transaction, UserRecord } from '../store/index.js'
import { mintRootToken } from '../token/index.js'
import { audit } from './audit.js'
import { type AuthContext, requireUnrestricted } from './authenticate.js'
import type { Actor, Service } from './context.js'

/**
 * Checks caveat texts with the registry; a bad one is `validation_failed` naming its index.
 * Returns the earliest `expires` among them, if any.
 *
 * @example
 * const expiresAt = validateCaveats(svc, ['org = acme', 'ops = deploy'])
 */
export function validateCaveats(svc: Pick<Service, 'registry'>, caveats: readonly string[]): Date | null {
  let earliest: number | null = null
  const issues = []
  for (const [i, text] of caveats.entries()) {
    try {
      const parsed = svc.registry.parseCaveat(text)
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
 * isPastExpiry(registry, 'expires = 2020-01-01T00:00:00Z', new Date()) // true
 */
export function isPastExpiry(registry: CaveatRegistry, caveat: string, now: Date): boolean {
  const parsed = registry.parseCaveat(caveat)
  return parsed.kind.name === 'expires' && typeof parsed.value === 'number' && parsed.value <= now.getTime()
}

/** A key whose own `expires` caveat has passed could never be used: `validation_failed`. */
function refuseDeadOnArrival(svc: Pick<Service, 'registry' | 'clock'>, caveats: readonly string[]): void {
  const now = svc.clock.now()
  const i = caveats.findIndex((caveat) => isPastExpiry(svc.registry, caveat, now))
  if (i === -1) return
  const message = 'this expires caveat is in the past: the key could never be used'
  throw new ValidationProblem(`caveat ${i} is not valid: ${message}`, [
    { in: 'body', path: `caveats.${i}`, message },
  ])
}

/**
 * Refuses a key creation (`rate_limited`) when the user already created `keyCreateLimit` API keys
 * in the window. Takes the user's lock first, so concurrent creations count each other.
 *
 * @example
 * await checkCreationLimit(svc, tx, user.id)
 */
export async function checkCreationLimit(
  svc: Pick<Service, 'clock' | 'config'>,
  tx: Transaction,
  userId: string,
): Promise<void> {
  await tx.lockUser(userId)
  const now = svc.clock.now().getTime()
  const limit = svc.config.keyCreateLimit
  const windowStart = new Date(now - svc.config.keyCreateWindowMs)
  // the limit-th newest creation in the window: there is one only when the limit is reached
  const oldest = await tx.keys.nthNewestCreationSince(userId, windowStart, limit, { sources: ['api'] })
  if (oldest === undefined) return
  const retryMs = new Date(oldest).getTime() + svc.config.keyCreateWindowMs - now
  throw new RateLimited(
    `at most ${limit} keys may be created per ${windowText(svc.config.keyCreateWindowMs)}`,
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
}

/** A freshly minted key: the token (shown once) and its metadata. */
export interface MintedKey {
  readonly token: string
  readonly key: KeyRecord
  readonly replaced: KeyRecord | undefined
}

/**
 * Mints a root token (`expires` first, then the key's caveats), stores its metadata and audits
 * `created`; for a same-name login it revokes the earlier key as `replaced` (under the user's
 * lock: concurrent logins of one device leave one active key). Runs in `tx`.
 *
 * @example
 * const { token, key } = await mintKeyIn(svc, tx, { user, name: 'CLI login on laptop', source: 'cli-login', ttlMs, replaceSameName: true, who })
 */
export async function mintKeyIn(svc: Service, tx: Transaction, options: MintKeyOptions): Promise<MintedKey> {
  const caveats = [...(options.caveats ?? [])]
  const userExpiry = validateCaveats(svc, caveats)
  const now = svc.clock.now()
  // whole seconds keep the caveat text short: `expires = 2026-04-01T12:00:00Z`
  const serverExpiry = Math.floor((now.getTime() + options.ttlMs) / 1000) * 1000
  const expiresAt = new Date(Math.min(serverExpiry, userExpiry?.getTime() ?? Number.POSITIVE_INFINITY))
  const minted = mintRootToken({
    ring: svc.ring,
    userId: options.user.id,
    caveats: [`expires = ${formatInstant(serverExpiry)}`, ...caveats],
    ...(svc.config.publicUrl === undefined ? {} : { location: svc.config.publicUrl }),
  })
  if (options.replaceSameName) await tx.lockUser(options.user.id)
  const previous = options.replaceSameName
    ? await tx.keys.findActiveByName(options.user.id, options.name, now)
    : undefined
  const key = await tx.keys.insert({
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
  await audit(svc, tx, options.who, 'created', options.user.id, key.id, {
    name: key.name,
    source: key.source,
  })
  for (const event of options.alsoAudit ?? []) {
    await audit(svc, tx, options.who, event, options.user.id, key.id, { source: key.source })
  }
  let replaced: KeyRecord | undefined
  if (previous !== undefined && (await tx.keys.revoke(previous.id, now, 'replaced', key.id))) {
    await audit(svc, tx, options.who, 'replaced', options.user.id, previous.id, { replaced_by: key.id })
    replaced = await tx.keys.get(previous.id, now)
    await tx.revocations.add({ tokenId: previous.id, expiresAt: previous.expiresAt, createdAt: now })
  }
  return { token: minted.token, key, replaced }
}

/**
 * {@link mintKeyIn} in a transaction of its own.
 *
 * @example
 * const { token, key } = await mintKey(svc, { user, name: 'Registration key', source: 'register', ttlMs, who })
 */
export function mintKey(svc: Service, options: MintKeyOptions): Promise<MintedKey> {
  return svc.store.transaction((tx) => mintKeyIn(svc, tx, options))
}

/** What {@link createKey} takes: the request, already parsed. */
export interface CreateKeyInput {
  readonly name: string
  readonly caveats: readonly string[]
  readonly ttlMs: number
}

/**
 * `POST /v1/tokens`: checks the caveats, that the caller is unrestricted and the creation rate
 * limit (atomically with the insert), then mints an `api` key.
 *
 * @example
 * const { token, key } = await createKey(svc, auth, { name: 'deploy', caveats: ['ops = deploy'], ttlMs }, who)
 */
export async function createKey(
  svc: Service,
  caller: AuthContext,
  input: CreateKeyInput,
  who: Actor,
): Promise<MintedKey> {
  validateCaveats(svc, input.caveats)
  refuseDeadOnArrival(svc, input.caveats)
  requireUnrestricted(caller)
  return svc.store.transaction(async (tx) => {
    await checkCreationLimit(svc, tx, caller.user.id)
    return mintKeyIn(svc, tx, {
      user: caller.user,
      name: input.name,
      source: 'api',
      caveats: input.caveats,
      ttlMs: input.ttlMs,
      who,
    })
  })
}

/**
 * A user's keys, newest first (revoked ones only when asked; dashboard sessions never).
 *
 * @example
 * const keys = await listKeys(svc, user.id, { includeRevoked: true })
 */
export function listKeys(
  svc: Pick<Service, 'store' | 'clock'>,
  userId: string,
  options: { includeRevoked: boolean },
): Promise<KeyRecord[]> {
  return svc.store.keys.list(userId, { includeRevoked: options.includeRevoked, now: svc.clock.now() })
}

/**
 * The user's own key `id` (not a dashboard session), or `not_found`.
 *
 * @example
 * const key = await ownKey(svc, user.id, id)
 */
export async function ownKey(
  svc: Pick<Service, 'store' | 'clock'>,
  userId: string,
  id: string,
): Promise<KeyRecord> {
  const key = await svc.store.keys.getForUser(userId, id, svc.clock.now())
  if (key === undefined || key.source === 'dashboard-session')
    throw new CrumbError('not_found', 'no such key')
  return key
}

/**
 * Renames a key (audited `renamed`); returns it as it is now.
 *
 * @example
 * const key = await renameKey(svc, key, 'deploy (CI)', who)
 */
export async function renameKey(svc: Service, key: KeyRecord, name: string, who: Actor): Promise<KeyRecord> {
  if (key.name !== name) {
    await svc.store.transaction(async (tx) => {
      await tx.keys.rename(key.id, name)
      await audit(svc, tx, who, 'renamed', key.userId, key.id, { from: key.name, to: name })
    })
  }
  const after = await svc.store.keys.get(key.id, svc.clock.now())
  if (after === undefined) throw new CrumbError('not_found', 'no such key')
  return after
}

/**
 * The keys that let their holder manage the account (sign in, create keys): what last-key protection
 * keeps one of. Dashboard sessions, OAuth grants and workload keys are not among them — revoking the
 * last login key while a grant lives on would lock the user out of their own account.
 */
export const ACCOUNT_KEY_SOURCES: readonly KeySource[] = ['register', 'cli-login', 'api']

/** What {@link revokeKey} takes. */
export interface RevokeKeyOptions {
  readonly key: KeyRecord
  readonly who: Actor
  readonly event: AuditEventType
  readonly reason: string
  /** Refuse to revoke the user's last active key (`last_key_protected`). */
  readonly protectLast: boolean
  readonly detail?: Record<string, unknown>
}

/**
 * Revokes a key in `tx`: marks the row, adds the whole-token revocation entry (kept until the key
 * would have expired), audits. With `protectLast`, under the user's lock, so of two concurrent
 * revocations of a user's last two keys one fails with `last_key_protected`. False when the key
 * was gone or already revoked.
 *
 * @example
 * await revokeKeyIn(svc, tx, { key, who, event: 'revoked', reason: 'user', protectLast: true }, now)
 */
export async function revokeKeyIn(
  svc: Service,
  tx: Transaction,
  options: RevokeKeyOptions,
  now: Date,
): Promise<boolean> {
  if (options.protectLast) await tx.lockUser(options.key.userId)
  const current = await tx.keys.get(options.key.id, now)
  if (current === undefined || current.revokedAt !== null) return false
  if (
    options.protectLast &&
    current.status === 'active' &&
    ACCOUNT_KEY_SOURCES.includes(current.source) &&
    (await tx.keys.countActive(current.userId, now, { sources: ACCOUNT_KEY_SOURCES })) <= 1
  ) {
    throw new CrumbError(
      'last_key_protected',
      'this is your last active key; create another before revoking it',
    )
  }
  if (!(await tx.keys.revoke(current.id, now, options.reason))) return false
  await audit(svc, tx, options.who, options.event, current.userId, current.id, {
    reason: options.reason,
    ...options.detail,
  })
  await tx.revocations.add({ tokenId: current.id, expiresAt: current.expiresAt, createdAt: now })
  return true
}

/**
 * Revokes a key in a transaction of its own (see {@link revokeKeyIn}); idempotent for an already
 * revoked key. Returns the row as it is now.
 *
 * @example
 * const after = await revokeKey(svc, { key, who, event: 'revoked', reason: 'user', protectLast: true })
 */
export async function revokeKey(svc: Service, options: RevokeKeyOptions): Promise<KeyRecord> {
  const now = svc.clock.now()
  await svc.store.transaction((tx) => revokeKeyIn(svc, tx, options, now))
  const after = await svc.store.keys.get(options.key.id, now)
  if (after === undefined) throw new CrumbError('not_found', 'no such key')
  return after
}

/**
 * Hard delete: revokes (with last-key protection) then deletes the row; the revocation entry and
 * the audit rows outlive it.
 *
 * @example
 * await hardDeleteKey(svc, key, who)
 */
export async function hardDeleteKey(svc: Service, key: KeyRecord, who: Actor): Promise<void> {
  const now = svc.clock.now()
  await svc.store.transaction(async (tx) => {
    const current = await tx.keys.get(key.id, now)
    if (current === undefined) throw new CrumbError('not_found', 'no such key')
    await revokeKeyIn(
      svc,
      tx,
      { key: current, who, event: 'revoked', reason: 'deleted', protectLast: true },
      now,
    )
    await tx.keys.hardDelete(current.id)
    await audit(svc, tx, who, 'deleted', current.userId, current.id, { name: current.name })
  })
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
 * the grace period. Counts against the creation limit; a key is rotated once (a second rotation
 * of it is a `conflict`). Audits `rotated` on the old key.
 *
 * @example
 * const { token, key, previous } = await rotateKey(svc, auth, old, 3_600_000, who)
 */
export async function rotateKey(
  svc: Service,
  caller: AuthContext,
  old: KeyRecord,
  graceMs: number,
  who: Actor,
): Promise<RotatedKey> {
  requireUnrestricted(caller)
  const user = caller.user
  const lifetime = new Date(old.expiresAt).getTime() - new Date(old.createdAt).getTime()
  const ttlMs = Math.min(Math.max(lifetime, 60_000), svc.config.tokenMaxTtlMs)
  const now = svc.clock.now()
  // user-chosen `expires` caveats would make the replacement dead on arrival: drop past ones
  const caveats = old.caveats.filter((c) => !isPastExpiry(svc.registry, c, now))
  return svc.store.transaction(async (tx): Promise<RotatedKey> => {
    await checkCreationLimit(svc, tx, user.id)
    const current = await tx.keys.get(old.id, now)
    if (current === undefined) throw new CrumbError('not_found', 'no such key')
    if (current.revokedAt !== null) throw new CrumbError('conflict', 'a revoked key cannot be rotated')
    if (current.replacedBy !== null) throw new CrumbError('conflict', 'this key was rotated already')
    const minted = await mintKeyIn(svc, tx, { user, name: current.name, source: 'api', caveats, ttlMs, who })
    const graceEnd = new Date(now.getTime() + graceMs)
    const consumed =
      graceMs === 0
        ? await tx.keys.revoke(current.id, now, 'rotated', minted.key.id)
        : await tx.keys.markReplaced(current.id, minted.key.id, graceEnd)
    if (!consumed) throw new CrumbError('conflict', 'this key was rotated already')
    await audit(svc, tx, who, 'rotated', user.id, current.id, {
      replaced_by: minted.key.id,
      grace_ms: graceMs,
    })
    const previous = await tx.keys.get(current.id, now)
    if (previous === undefined) throw new Error('rotated key vanished')
    // on the feed now, in force at once or at the grace end: verifiers refuse the old token right
    // after the grace without waiting for the jobs to revoke the key (#15 item 4)
    await tx.revocations.add({
      tokenId: current.id,
      expiresAt: current.expiresAt,
      createdAt: now,
      ...(graceMs === 0 ? {} : { effectiveAt: graceEnd }),
    })
    return { token: minted.token, key: minted.key, previous }
  })
}
