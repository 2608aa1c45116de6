import type BetterSqlite3 from 'better-sqlite3'
import type { Repositories, Store, Transaction } from '../port.js'
import { createAuditRepo } from './audit.js'
import { type OpenDatabaseOptions, openDatabase } from './database.js'
import { createDeviceCodesRepo } from './device-codes.js'
import { createKeysRepo } from './keys.js'
import { createOAuthRepo } from './oauth.js'
import { createRevocationsRepo, type RevocationsRepo } from './revocations.js'
import { asyncRepo } from './sync.js'
import { createTrustPoliciesRepo } from './trust-policies.js'
import { createUsersRepo } from './users.js'

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions extends OpenDatabaseOptions {
  /** How often watchers look for revocations committed by another process (ms). Default 1000. */
  watchIntervalMs?: number
  /** Most transactions committed together (one fsync). Default 256. */
  maxBatch?: number
}

interface Job {
  readonly fn: (tx: Transaction) => Promise<unknown>
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

const WRITES: Readonly<Record<keyof Repositories, readonly string[]>> = {
  users: ['insert', 'setPasswordHash'],
  keys: ['insert', 'rename', 'revoke', 'markReplaced', 'recordUsage', 'hardDelete'],
  audit: ['append'],
  revocations: ['add', 'prune'],
  deviceCodes: ['create', 'markPolled', 'approve', 'deny', 'consume', 'prune'],
  oauth: [
    'insertClient',
    'createAuthorization',
    'approveAuthorization',
    'denyAuthorization',
    'consumeAuthorization',
    'insertGrant',
    'insertRefreshToken',
    'useRefreshToken',
    'prune',
  ],
  trustPolicies: ['insert', 'delete', 'markExchanged', 'claimJti', 'pruneJtis'],
}

function syncRepos(db: BetterSqlite3.Database): {
  [K in keyof Repositories]: K extends 'revocations' ? RevocationsRepo : object
} {
  return {
    users: createUsersRepo(db),
    keys: createKeysRepo(db),
    audit: createAuditRepo(db),
    revocations: createRevocationsRepo(db),
    deviceCodes: createDeviceCodesRepo(db),
    oauth: createOAuthRepo(db),
    trustPolicies: createTrustPoliciesRepo(db),
  }
}

/**
 * The SQLite engine of the storage port (better-sqlite3: synchronous, one connection per handle).
 *
 * - Transactions are serialised in this process by a queue and across processes by
 *   `BEGIN IMMEDIATE` (with the busy timeout). Queued transactions share one commit — group
 *   commit: with `synchronous = FULL` every commit waits for an fsync, so one commit per request
 *   would cap throughput. Each runs in its own savepoint (a failure undoes only its writes), and
 *   every promise settles after the commit, so nothing is acknowledged before it is on disk.
 * - Top-level reads run on a second connection, which sees committed data only; top-level writes
 *   are one-call transactions. An in-memory database has one connection: its reads queue too.
 * - `lockUser` is a no-op: the writer holds the database's only write lock already.
 * - Revocation watchers hear about this process's commits at once and poll the feed's sequence
 *   for other processes' commits.
 */
class SqliteStore implements Store {
  readonly engine = 'sqlite'
  readonly users: Store['users']
  readonly keys: Store['keys']
  readonly audit: Store['audit']
  readonly revocations: Store['revocations']
  readonly deviceCodes: Store['deviceCodes']
  readonly oauth: Store['oauth']
  readonly trustPolicies: Store['trustPolicies']
  readonly #writer: BetterSqlite3.Database
  readonly #reader: BetterSqlite3.Database | undefined
  readonly #writerRepos: ReturnType<typeof syncRepos>
  readonly #readerRevocations: RevocationsRepo
  readonly #maxBatch: number
  readonly #watchIntervalMs: number
  readonly #watchers = new Set<() => void>()
  #queue: Job[] = []
  #scheduled = false
  #running = false
  #drained: Promise<void> = Promise.resolve()
  #active: object | undefined
  #revocationsWritten = false
  #watchTimer: NodeJS.Timeout | undefined
  #lastSeq = 0
  #closed = false

  constructor(
    writer: BetterSqlite3.Database,
    reader: BetterSqlite3.Database | undefined,
    options: SqliteStoreOptions,
  ) {
    this.#writer = writer
    this.#reader = reader
    this.#maxBatch = options.maxBatch ?? 256
    this.#watchIntervalMs = options.watchIntervalMs ?? 1000
    this.#writerRepos = syncRepos(writer)
    const readRepos = reader === undefined ? undefined : syncRepos(reader)
    this.#readerRevocations = readRepos?.revocations ?? this.#writerRepos.revocations
    const top = (name: keyof Repositories): never => {
      const out: Record<string, unknown> = {}
      const writes = new Set(WRITES[name])
      for (const method of Object.keys(this.#writerRepos[name])) {
        if (method === 'latestSeq') continue
        const read = readRepos?.[name] as Record<string, (...args: unknown[]) => unknown> | undefined
        if (read !== undefined && !writes.has(method)) {
          const fn = read[method] as (...args: unknown[]) => unknown
          out[method] = (...args: unknown[]): Promise<unknown> => {
            try {
              return Promise.resolve(fn(...args))
            } catch (e) {
              return Promise.reject(e)
            }
          }
        } else {
          out[method] = (...args: unknown[]): Promise<unknown> =>
            this.transaction(
              (tx) =>
                (tx[name] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]?.(
                  ...args,
                ) as Promise<unknown>,
            )
        }
      }
      return out as never
    }
    this.users = top('users')
    this.keys = top('keys')
    this.audit = top('audit')
    this.revocations = top('revocations')
    this.deviceCodes = top('deviceCodes')
    this.oauth = top('oauth')
    this.trustPolicies = top('trustPolicies')
    this.#lastSeq = this.#readerRevocations.latestSeq()
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the store is closed'))
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject })
      if (!this.#scheduled && !this.#running) {
        this.#scheduled = true
        setImmediate(() => {
          this.#drained = this.#drain()
        })
      }
    })
  }

  async #drain(): Promise<void> {
    this.#scheduled = false
    this.#running = true
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch)
        await this.#runBatch(batch)
      }
    } finally {
      this.#running = false
    }
  }

  #txFor(token: object): Transaction {
    const guard = (): void => {
      if (this.#active !== token) throw new Error('this transaction has ended')
    }
    const r = this.#writerRepos
    const revocations = asyncRepo<Transaction['revocations']>(r.revocations, guard)
    const add = revocations.add.bind(revocations)
    const prune = revocations.prune.bind(revocations)
    return {
      users: asyncRepo(r.users as never, guard),
      keys: asyncRepo(r.keys as never, guard),
      audit: asyncRepo(r.audit as never, guard),
      deviceCodes: asyncRepo(r.deviceCodes as never, guard),
      oauth: asyncRepo(r.oauth as never, guard),
      trustPolicies: asyncRepo(r.trustPolicies as never, guard),
      revocations: {
        ...revocations,
        add: (revocation) => {
          this.#revocationsWritten = true
          return add(revocation)
        },
        prune: (now) => {
          this.#revocationsWritten = true
          return prune(now)
        },
      },
      lockUser: async () => guard(),
    }
  }

  async #runBatch(batch: Job[]): Promise<void> {
    const db = this.#writer
    try {
      db.exec('BEGIN IMMEDIATE')
    } catch (error) {
      for (const job of batch) job.reject(error)
      return
    }
    const outcomes: Outcome[] = []
    for (const job of batch) {
      const token = {}
      this.#active = token
      db.exec('SAVEPOINT job')
      try {
        const value = await job.fn(this.#txFor(token))
        db.exec('RELEASE job')
        outcomes.push({ ok: true, value })
      } catch (error) {
        db.exec('ROLLBACK TO job')
        db.exec('RELEASE job')
        outcomes.push({ ok: false, error })
      } finally {
        this.#active = undefined
      }
    }
    try {
      db.exec('COMMIT')
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK')
      this.#revocationsWritten = false
      for (const job of batch) job.reject(error)
      return
    }
    if (this.#revocationsWritten) {
      this.#revocationsWritten = false
      this.#notify()
    }
    batch.forEach((job, i) => {
      const o = outcomes[i]
      if (o?.ok) job.resolve(o.value)
      else job.reject(o?.error)
    })
  }

  #notify(): void {
    for (const w of [...this.#watchers]) {
      try {
        w()
      } catch {
        // a watcher's failure is its own
      }
    }
  }

  watchRevocations(onChange: () => void): () => void {
    this.#watchers.add(onChange)
    if (this.#watchTimer === undefined && !this.#closed) {
      this.#lastSeq = this.#readerRevocations.latestSeq()
      this.#watchTimer = setInterval(() => {
        try {
          const seq = this.#readerRevocations.latestSeq()
          if (seq !== this.#lastSeq) {
            this.#lastSeq = seq
            this.#notify()
          }
        } catch {
          // closed or busy: the next tick tries again
        }
      }, this.#watchIntervalMs)
      this.#watchTimer.unref()
    }
    return () => {
      this.#watchers.delete(onChange)
      if (this.#watchers.size === 0 && this.#watchTimer !== undefined) {
        clearInterval(this.#watchTimer)
        this.#watchTimer = undefined
      }
    }
  }

  async health(): Promise<boolean> {
    try {
      const db = this.#reader ?? this.#writer
      return db.open && db.prepare('SELECT 1').pluck().get() === 1
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    // let queued transactions commit first
    while (this.#queue.length > 0 || this.#running || this.#scheduled) {
      await this.#drained
      await new Promise((resolve) => setImmediate(resolve))
    }
    this.#closed = true
    if (this.#watchTimer !== undefined) clearInterval(this.#watchTimer)
    this.#watchTimer = undefined
    this.#watchers.clear()
    this.#reader?.close()
    this.#writer.close()
  }
}

/**
 * Open (creating and migrating if needed) the SQLite database at `path` as a {@link Store}.
 * `':memory:'` opens a private in-memory database (one connection).
 *
 * @example
 * const store = openSqliteStore(join(dataDir, 'crumb.db'))
 * await store.users.getByEmail('a@example.com')
 * await store.close()
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const writer = openDatabase(path, options)
  const memory = path === ':memory:' || path === ''
  let reader: BetterSqlite3.Database | undefined
  if (!memory) {
    try {
      reader = openDatabase(path, { ...options, skipMigrations: true })
      reader.pragma('query_only = ON')
    } catch (e) {
      writer.close()
      throw e
    }
  }
  return new SqliteStore(writer, reader, options)
}
