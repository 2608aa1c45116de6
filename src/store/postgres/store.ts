import { coalesced } from '../../coalesced.js'
import type { Repositories, Store, Transaction } from '../port.js'
import { postgresAudit } from './audit.js'
import { postgresDeviceCodes } from './device-codes.js'
import { postgresKeys } from './keys.js'
import { type ChannelListener, listenToChannel } from './listener.js'
import { migratePostgres } from './migrate.js'
import { postgresOAuth } from './oauth.js'
import { createPool, type PoolOptions } from './pool.js'
import { poolQueryable, type Queryable } from './queryable.js'
import { NUMBER_PENDING_REVOCATIONS, postgresRevocations } from './revocations.js'
import { withTransaction } from './transaction.js'
import { postgresTrustPolicies } from './trust-policies.js'
import { asUnavailable } from './unavailable.js'
import { postgresUsers } from './users.js'

/** The channel the feed notifies on (db/postgres/008_feed_notified_once_per_numbering.sql). */
export const REVOCATIONS_CHANNEL = 'crumb_revocations'

/** Options of {@link openPostgresStore}. */
export interface OpenPostgresOptions extends PoolOptions {
  /** Folder of the migrations; default the repository's `db/postgres/`. */
  migrationsDir?: string
  /** Told about connection trouble of the pool and of the listening connection (for the log). */
  onConnectionError?: (err: Error) => void
  /**
   * How often this instance numbers feed entries left pending by an instance that died between
   * its commit and the numbering that follows it (db/postgres/006). Default 1000 ms.
   */
  pendingSweepMs?: number
}

function repositories(q: Queryable): Repositories {
  return {
    users: postgresUsers(q),
    keys: postgresKeys(q),
    audit: postgresAudit(q),
    revocations: postgresRevocations(q),
    deviceCodes: postgresDeviceCodes(q),
    oauth: postgresOAuth(q),
    trustPolicies: postgresTrustPolicies(q),
  }
}

/**
 * Open the PostgreSQL engine: a pool on `url`, the schema migrated (once, under an advisory lock,
 * however many instances start together), and one listening connection that turns every
 * committed revocation — through this instance or any other on the database — into a call of the
 * {@link Store.watchRevocations} callbacks. Throws when the database cannot be reached at start.
 *
 * @example
 * const store = await openPostgresStore('postgres://crumb:secret@db.internal:5432/crumb')
 * const stop = store.watchRevocations(() => feed.sync())
 * await store.close()
 */
export async function openPostgresStore(url: string, options: OpenPostgresOptions = {}): Promise<Store> {
  const onError = options.onConnectionError
  const pool = createPool(url, { ...options, ...(onError === undefined ? {} : { onError }) })
  try {
    await migratePostgres(pool, options.migrationsDir === undefined ? {} : { dir: options.migrationsDir })
  } catch (err) {
    await pool.end().catch(() => {})
    throw err
  }
  const watchers = new Set<() => void>()
  const notify = (): void => {
    for (const w of watchers) w()
  }
  const listener: ChannelListener = listenToChannel(
    url,
    REVOCATIONS_CHANNEL,
    // a (re)connect may have missed notifications: watchers re-read the table once then
    { onNotify: notify, onListening: notify, ...(onError === undefined ? {} : { onError }) },
    { connectionTimeoutMs: options.connectionTimeoutMs ?? 2000 },
  )
  let closed = false

  // Entries are numbered after their transaction commits (db/postgres/006), by one call for every
  // transaction of this instance that committed while one was going, rather than one call per
  // commit sent with the COMMIT: measured (#17) 637 → 783 revocations/s, fewer numbering
  // transactions, flushes and notifications.
  const numberPending = coalesced(async () => {
    await pool.query(NUMBER_PENDING_REVOCATIONS)
  })
  const sweep = setInterval(() => {
    numberPending().catch(() => {})
  }, options.pendingSweepMs ?? 1000)
  sweep.unref()

  const transaction = async <T>(fn: (tx: Transaction) => Promise<T>): Promise<T> => {
    let revoked = false
    let feedWritten = false
    const result = await withTransaction(pool, async (q) => {
      const repos = repositories(q)
      const add = repos.revocations.add
      repos.revocations.add = async (r) => {
        // even an entry that was there already: it may still be pending (its numbering failed)
        feedWritten = true
        const added = await add(r)
        revoked ||= added.inserted
        return added
      }
      const tx: Transaction = {
        ...repos,
        lockUser(userId) {
          // a transaction-scoped advisory lock on the user id: held until commit or rollback,
          // shared by every instance on the database, and free of row-lock side effects. Sent
          // without waiting: the statements after it run only once it is granted.
          return q.write("SELECT pg_advisory_xact_lock(hashtextextended('crumb:user:' || $1, 0))", [userId])
        },
      }
      return fn(tx)
    })
    if (feedWritten) {
      // on the feed (and announced) before the transaction resolves; a failure here leaves the
      // entry to the sweep, and the caller a 503 to retry (the retry finds the entry, and numbers)
      await numberPending().catch((err: unknown) => {
        throw asUnavailable(err)
      })
    }
    // this instance's own waiters need not wait for the notification's round trip
    if (revoked) notify()
    return result
  }

  const top = repositories(poolQueryable(pool))
  // an entry added outside a transaction tells this instance's watchers like one added inside
  top.revocations.add = (r) => transaction((tx) => tx.revocations.add(r))

  return {
    engine: 'postgres',
    ...top,
    transaction,
    watchRevocations(onChange) {
      watchers.add(onChange)
      return () => {
        watchers.delete(onChange)
      }
    },
    async health() {
      if (closed) return false
      try {
        await pool.query('SELECT 1')
        return true
      } catch {
        return false
      }
    },
    async close() {
      if (closed) return
      closed = true
      clearInterval(sweep)
      watchers.clear()
      await listener.close()
      await pool.end()
    },
  }
}
