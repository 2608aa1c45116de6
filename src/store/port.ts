/**
 * The storage port: the contract every engine implements (`src/store/sqlite`, `src/store/postgres`)
 * and the only view of persistence the service layer has. Everything here is async and engine-free:
 * plain records in, plain records out, no connection handle, no SQL.
 *
 * Rules every engine keeps (the contract suite in `test/store/contract.ts` checks them):
 * - A {@link Store.transaction} hands its callback repositories scoped to that transaction
 *   ({@link Transaction}); nothing else runs on its connection meanwhile, and nothing outside it
 *   sees its writes before it commits. It commits when the callback resolves (the promise settles
 *   only once the commit is durable) and rolls back when it throws.
 * - {@link Transaction.lockUser} serialises check-then-act writers of one user (last-key
 *   protection, one key per device, the creation rate limit) until the transaction ends.
 * - Top-level repository calls ({@link Store} itself) run on their own: reads see committed data,
 *   a write is its own transaction.
 * - The revocation feed's cursor is an opaque string. A reader that follows the cursors it is given
 *   never misses an entry, even when a later entry committed first; {@link Store.watchRevocations}
 *   tells in-process waiters that entries may have arrived (from this process or another).
 *
 * Record types live beside each repository (`users.ts`, `keys.ts`, `audit.ts`, `revocations.ts`,
 * `device-codes.ts`, `oauth.ts`); times are `Date#toISOString()` strings.
 */
import type { AuditEvent, AuditPage, ListAuditOptions, NewAuditEvent } from './audit.js'
import type { DeviceCodeRecord, NewDeviceCode } from './device-codes.js'
import type {
  KeyRecord,
  KeySource,
  ListKeysOptions,
  ListSessionsOptions,
  NewKey,
  UsageReport,
} from './keys.js'
import type {
  AuthorizationApproval,
  AuthorizationRecord,
  NewAuthorization,
  NewOAuthClient,
  NewOAuthGrant,
  NewRefreshToken,
  OAuthClientRecord,
  OAuthGrantRecord,
  RefreshTokenRecord,
} from './oauth.js'
import type { NewRevocation } from './revocations.js'
import type { Instant } from './time.js'
import type { ExchangedJti, NewTrustPolicy, TrustPolicyRecord } from './trust-policies.js'
import type { NewUser, UserRecord } from './users.js'

/** The cursor before any entry: valid on every engine (`?since=0` means "from the beginning"). */
export const FEED_START = '0'

/** Default page size of {@link RevocationsPort.read}. */
export const FEED_PAGE_LIMIT = 1000

/** One entry of the revocation list as the port returns it (no engine-specific sequence). */
export interface FeedEntry {
  tokenId: string
  /** Absent for a whole-token entry. */
  revocationId?: string
  /** When the root token would have expired anyway; the entry is pruned after it. */
  expiresAt: string
  createdAt: string
  /** A whole-token entry in force only from this instant (a rotation's grace end); absent: at once. */
  effectiveAt?: string
}

/** One page of the feed. */
export interface FeedRead {
  /** Opaque: pass back as `since` to continue. */
  readonly cursor: string
  readonly entries: readonly FeedEntry[]
  /** The given cursor could not be continued (another database, pruned past it): `entries` is a full snapshot. */
  readonly reset?: true
}

/** Result of {@link RevocationsPort.add}. */
export interface AddedRevocation {
  /** False when the entry already existed (the existing entry is returned). */
  inserted: boolean
  entry: FeedEntry
}

/** Users. */
export interface UsersPort {
  /** Insert; `CrumbError('conflict')` when the email (case-insensitively) is taken. @example await tx.users.insert(user) */
  insert(user: NewUser): Promise<UserRecord>
  /** @example await store.users.get('usr_1') */
  get(id: string): Promise<UserRecord | undefined>
  /** Case-insensitive. @example await store.users.getByEmail('A@example.com') */
  getByEmail(email: string): Promise<UserRecord | undefined>
  /**
   * Replace a password hash (a stronger one after a successful login); false when no such user.
   *
   * @example
   * await store.users.setPasswordHash('usr_1', await hashPassword(password))
   */
  setPasswordHash(id: string, passwordHash: string): Promise<boolean>
}

/** A key and the user it belongs to (undefined when that row is gone). */
export interface KeyWithOwner {
  key: KeyRecord
  owner: UserRecord | undefined
}

/** Key metadata (never a token or a root key). Read methods take `now` for the derived status. */
export interface KeysPort {
  /**
   * Insert; resolves with the record a read would return. In a transaction the engine may send it
   * without waiting for it (as {@link AuditPort.append}): a refusal then fails the transaction.
   *
   * @example await tx.keys.insert({ id, userId, name, hint, source: 'api', kid, caveats, createdAt, expiresAt })
   */
  insert(key: NewKey): Promise<KeyRecord>
  /** @example await store.keys.get('tok_abc', now) */
  get(id: string, now?: Instant): Promise<KeyRecord | undefined>
  /**
   * The key and its owner in one read: what authenticating each request needs (one round trip on
   * PostgreSQL instead of two). `owner` is undefined when the user row is gone.
   *
   * @example
   * const found = await store.keys.getWithOwner('tok_abc', now)
   */
  getWithOwner(id: string, now?: Instant): Promise<KeyWithOwner | undefined>
  /** The key if it belongs to `userId`. @example await store.keys.getForUser(uid, id, now) */
  getForUser(userId: string, id: string, now?: Instant): Promise<KeyRecord | undefined>
  /** Newest active key of (user, name): the one a same-device login replaces. @example await tx.keys.findActiveByName(uid, name, now) */
  findActiveByName(userId: string, name: string, now?: Instant): Promise<KeyRecord | undefined>
  /** Newest first; revoked keys and dashboard sessions hidden unless asked. @example await store.keys.list(uid, { now }) */
  list(userId: string, options?: ListKeysOptions): Promise<KeyRecord[]>
  /** Dashboard sessions, newest first. @example await store.keys.listSessions(uid, { now }) */
  listSessions(userId: string, options?: ListSessionsOptions): Promise<KeyRecord[]>
  /** False when no such key. @example await tx.keys.rename(id, 'deploy') */
  rename(id: string, name: string): Promise<boolean>
  /** True only for the call that revoked it. @example await tx.keys.revoke(id, now, 'user') */
  revoke(id: string, at: Instant, reason: string, replacedBy?: string): Promise<boolean>
  /**
   * Rotation with a grace period: record the replacement and when to revoke. True only for the one
   * call that did so (a key already revoked or already replaced is left alone).
   *
   * @example
   * if (!(await tx.keys.markReplaced(oldId, newId, graceEnd))) throw conflict
   */
  markReplaced(id: string, replacedBy: string, revokeAfter: Instant): Promise<boolean>
  /** Unrevoked keys whose rotation grace has ended. @example await store.keys.dueForRevocation(now) */
  dueForRevocation(now: Instant): Promise<KeyRecord[]>
  /**
   * Active keys of a user at `now`, of the given sources only when `sources` is set.
   *
   * @example
   * await tx.keys.countActive(uid, now, { sources: ['register', 'cli-login', 'api'] })
   */
  countActive(
    userId: string,
    now: Instant,
    options?: { sources?: readonly KeySource[] | undefined },
  ): Promise<number>
  /** Last-use reports; last use only moves forward. Returns rows updated. @example await store.keys.recordUsage(reports) */
  recordUsage(reports: readonly UsageReport[]): Promise<number>
  /** @example await tx.keys.hardDelete(id) */
  hardDelete(id: string): Promise<boolean>
  /** Active keys unused since `cutoff`. @example await store.keys.unusedSince(cutoff, now) */
  unusedSince(cutoff: Instant, now?: Instant): Promise<KeyRecord[]>
  /** Keys revoked before `cutoff`. @example await store.keys.revokedBefore(cutoff, now) */
  revokedBefore(cutoff: Instant, now?: Instant): Promise<KeyRecord[]>
  /** Unrevoked keys expired before `cutoff`. @example await store.keys.expiredBefore(cutoff, now) */
  expiredBefore(cutoff: Instant, now?: Instant): Promise<KeyRecord[]>
  /**
   * When the user's `n`-th newest key (`n` ≥ 1; of `sources`, default any) created at or after
   * `since` was created, or undefined when fewer than `n` were: whether a limit of `n` creations per
   * window is reached, and when the window frees a place. One value whatever `n` is (a limit's
   * check must not read back every key the limit allows).
   *
   * @example
   * await tx.keys.nthNewestCreationSince(uid, hourAgo, 10, { sources: ['api'] })
   */
  nthNewestCreationSince(
    userId: string,
    since: Instant,
    n: number,
    options?: { sources?: readonly KeySource[] | undefined },
  ): Promise<string | undefined>
}

/** The append-only audit log. */
export interface AuditPort {
  /**
   * Appends one event; read the log back with {@link list}. In a transaction the engine may send it
   * without waiting for it (PostgreSQL pipelines it with the next statement): its failure then
   * fails the transaction.
   *
   * @example await tx.audit.append({ event: 'revoked', userId, keyId, actor })
   */
  append(event: NewAuditEvent): Promise<void>
  /** Newest first, paginated by id. @example await store.audit.list(uid, { keyId, limit: 20 }) */
  list(userId: string, options?: ListAuditOptions): Promise<AuditPage>
  /** @example await store.audit.get(42) */
  get(id: number): Promise<AuditEvent | undefined>
}

/** The revocation list and its feed. */
export interface RevocationsPort {
  /**
   * Idempotent per (token id, revocation id), except that an entry not yet in force at `createdAt`
   * is replaced by one that applies sooner: the old one leaves the feed and the new one takes the
   * next position (a reader whose cursor is before the old one's gets a `reset` snapshot, as after
   * pruning). `inserted` is true for a replacement.
   *
   * @example
   * await tx.revocations.add({ tokenId, expiresAt })
   */
  add(revocation: NewRevocation): Promise<AddedRevocation>
  /**
   * Entries after `since` (undefined: a full snapshot; {@link FEED_START}: from the beginning), at
   * most `limit`. A cursor this engine cannot continue gets `reset: true` and a snapshot.
   *
   * @example
   * const page = await store.revocations.read(cursor)
   */
  read(since: string | undefined, limit?: number): Promise<FeedRead>
  /** Entries whose root token has expired (`expires_at <= now`) are deleted. @example await store.revocations.prune(now) */
  prune(now: Instant): Promise<number>
  /** Every entry, oldest first. @example await store.revocations.all() */
  all(): Promise<FeedEntry[]>
  /** Whether the exact entry exists. @example await store.revocations.has('tok_abc') */
  has(tokenId: string, revocationId?: string): Promise<boolean>
  /** A token's entries, oldest first. @example await store.revocations.forToken('tok_abc') */
  forToken(tokenId: string): Promise<FeedEntry[]>
  /**
   * How many attenuated-token (pair) entries a token id has, counting no further than `upTo`: the
   * cost stays bounded however many there are.
   *
   * @example
   * if ((await tx.revocations.countPairs(id, limit)) >= limit) revokeWholeKey()
   */
  countPairs(tokenId: string, upTo: number): Promise<number>
}

/** RFC 8628 device authorization requests; state changes are conditional (they happen once). */
export interface DeviceCodesPort {
  /** Undefined when the user code or hash is taken (draw another). @example await tx.deviceCodes.create(code) */
  create(code: NewDeviceCode): Promise<DeviceCodeRecord | undefined>
  /** @example await store.deviceCodes.findByUserCode('WDJB-MJHT') */
  findByUserCode(userCode: string): Promise<DeviceCodeRecord | undefined>
  /** @example await tx.deviceCodes.findByDeviceCodeHash(hash) */
  findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceCodeRecord | undefined>
  /** @example await tx.deviceCodes.markPolled(hash, now, interval + 5) */
  markPolled(deviceCodeHash: string, at: Instant, interval?: number): Promise<boolean>
  /** Approve a pending, unexpired request. @example await tx.deviceCodes.approve(code, uid, now) */
  approve(userCode: string, userId: string, at?: Instant): Promise<DeviceCodeRecord | undefined>
  /** Deny a pending, unexpired request. @example await tx.deviceCodes.deny(code, uid, now) */
  deny(userCode: string, userId?: string | null, at?: Instant): Promise<boolean>
  /** Approved → consumed, once. @example if (!(await tx.deviceCodes.consume(hash, keyId, now))) throw gone */
  consume(deviceCodeHash: string, keyId: string, at?: Instant): Promise<boolean>
  /** @example await store.deviceCodes.prune(now) */
  prune(now: Instant): Promise<number>
}

/**
 * The OAuth authorization server's state: registered clients, authorization requests and their
 * codes, grants, refresh tokens. State changes are conditional (a code or a refresh token is used
 * once, even when two instances race).
 */
export interface OAuthPort {
  /** @example await tx.oauth.insertClient({ id, name, redirectUris, authMethod: 'none', createdAt }) */
  insertClient(client: NewOAuthClient): Promise<OAuthClientRecord>
  /** @example await store.oauth.getClient('cli_abc') */
  getClient(id: string): Promise<OAuthClientRecord | undefined>
  /** @example await store.oauth.createAuthorization(request) */
  createAuthorization(request: NewAuthorization): Promise<AuthorizationRecord>
  /** @example await store.oauth.getAuthorization('azr_abc') */
  getAuthorization(id: string): Promise<AuthorizationRecord | undefined>
  /**
   * A pending, unexpired request becomes approved with the consent and the code's hash; undefined
   * when it was not pending (decided already, expired, unknown).
   *
   * @example
   * const approved = await tx.oauth.approveAuthorization(id, { userId, grantedScope, caveats, grantTtlMs, codeHash, codeExpiresAt }, now)
   */
  approveAuthorization(
    id: string,
    approval: AuthorizationApproval,
    at: Instant,
  ): Promise<AuthorizationRecord | undefined>
  /** A pending, unexpired request is denied; false otherwise. @example await tx.oauth.denyAuthorization(id, uid, now) */
  denyAuthorization(id: string, userId: string, at: Instant): Promise<boolean>
  /** @example await tx.oauth.findAuthorizationByCode(secretHash(code)) */
  findAuthorizationByCode(codeHash: string): Promise<AuthorizationRecord | undefined>
  /**
   * Approved → consumed with the grant's key, once, while the code is unexpired: of two
   * concurrent exchanges one gets true.
   *
   * @example
   * if (!(await tx.oauth.consumeAuthorization(codeHash, keyId, now))) throw replay
   */
  consumeAuthorization(codeHash: string, keyId: string, at: Instant): Promise<boolean>
  /** @example await tx.oauth.insertGrant({ keyId, userId, clientId, resource, scope, createdAt }) */
  insertGrant(grant: NewOAuthGrant): Promise<OAuthGrantRecord>
  /** @example await store.oauth.getGrant('tok_abc') */
  getGrant(keyId: string): Promise<OAuthGrantRecord | undefined>
  /** @example await tx.oauth.insertRefreshToken({ tokenHash, keyId, clientId, createdAt, expiresAt }) */
  insertRefreshToken(token: NewRefreshToken): Promise<RefreshTokenRecord>
  /** @example await tx.oauth.findRefreshToken(secretHash(presented)) */
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>
  /** Marks an unused refresh token used, once: false when it was used already. @example await tx.oauth.useRefreshToken(hash, now) */
  useRefreshToken(tokenHash: string, at: Instant): Promise<boolean>
  /**
   * Deletes authorization requests that expired before `before` (kept a while after use, so a
   * replayed code is still recognised) and refresh tokens that expired before `now`.
   *
   * @example
   * await store.oauth.prune(now, dayAgo)
   */
  prune(now: Instant, before: Instant): Promise<number>
}

/** Trust policies and the ID tokens exchanged under them (DESIGN.md, "Workload identity"). */
export interface TrustPoliciesPort {
  /** @example await tx.trustPolicies.insert({ id: 'tp_…', userId, keyId, name, issuer, audience, conditions, caveats, ttlMs, createdAt }) */
  insert(policy: NewTrustPolicy): Promise<TrustPolicyRecord>
  /** @example await store.trustPolicies.get('tp_…') */
  get(id: string): Promise<TrustPolicyRecord | undefined>
  /** Oldest first. @example await store.trustPolicies.listForUser(uid) */
  listForUser(userId: string): Promise<TrustPolicyRecord[]>
  /** Every policy naming this exact issuer, oldest first. @example await store.trustPolicies.listByIssuer(iss) */
  listByIssuer(issuer: string): Promise<TrustPolicyRecord[]>
  /** False when no such policy. @example await tx.trustPolicies.delete(id) */
  delete(id: string): Promise<boolean>
  /** @example await tx.trustPolicies.markExchanged(id, now) */
  markExchanged(id: string, at: Instant): Promise<boolean>
  /**
   * Records an ID token as exchanged; false when (issuer, jti) already was — atomically, so of two
   * concurrent exchanges of one ID token exactly one gets true.
   *
   * @example
   * if (!(await tx.trustPolicies.claimJti({ issuer, jti, policyId, exchangedAt: now, expiresAt }))) throw replay
   */
  claimJti(entry: ExchangedJti): Promise<boolean>
  /** Forgets exchanged ID tokens that expired by `now`. @example await tx.trustPolicies.pruneJtis(now) */
  pruneJtis(now: Instant): Promise<number>
}

/** The repositories, either top-level ({@link Store}) or scoped to one transaction ({@link Transaction}). */
export interface Repositories {
  readonly users: UsersPort
  readonly keys: KeysPort
  readonly audit: AuditPort
  readonly revocations: RevocationsPort
  readonly deviceCodes: DeviceCodesPort
  readonly oauth: OAuthPort
  readonly trustPolicies: TrustPoliciesPort
}

/** The repositories of one open transaction. */
export interface Transaction extends Repositories {
  /**
   * Hold the user's write lock until this transaction ends: two transactions that both call it for
   * one user run one after the other, so a count-then-write in each cannot interleave. The engine
   * may resolve before the lock is granted (PostgreSQL pipelines it): the transaction's next
   * statement runs only once it is.
   *
   * @example
   * await tx.lockUser(uid)
   * if ((await tx.keys.countActive(uid, now)) <= 1) throw lastKeyProtected
   */
  lockUser(userId: string): Promise<void>
}

/** A storage engine behind the port. */
export interface Store extends Repositories {
  /** `sqlite`, `postgres`. */
  readonly engine: string
  /**
   * Run `fn` in one transaction with repositories scoped to it; resolves with its value once the
   * commit is durable, rejects (rolled back) with what it threw.
   *
   * @example
   * await store.transaction(async (tx) => {
   *   await tx.lockUser(uid)
   *   await tx.keys.revoke(id, now, 'user')
   *   await tx.revocations.add({ tokenId: id, expiresAt })
   * })
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>
  /**
   * Call `onChange` whenever revocation entries may have been committed (by this process or another
   * sharing the database). Returns the function that stops watching.
   *
   * @example
   * const stop = store.watchRevocations(() => feed.sync())
   */
  watchRevocations(onChange: () => void): () => void
  /** True while the database answers (for `/healthz`). @example await store.health() */
  health(): Promise<boolean>
  /** Finish queued transactions and close. @example await store.close() */
  close(): Promise<void>
}
