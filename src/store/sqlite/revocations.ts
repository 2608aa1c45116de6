import type BetterSqlite3 from 'better-sqlite3'
import {
  type AddedRevocation,
  FEED_PAGE_LIMIT,
  type FeedEntry,
  type FeedRead,
  type RevocationsPort,
} from '../port.js'
import type { NewRevocation } from '../revocations.js'
import { toIso } from '../time.js'
import type { Sync } from './sync.js'

/** The synchronous form of `RevocationsPort`, plus the feed's sequence (for change detection). */
export type RevocationsRepo = Sync<RevocationsPort> & {
  /** The highest seq ever assigned (0 for none); survives pruning. */
  latestSeq(): number
}

interface RevocationRow {
  seq: number
  token_id: string
  revocation_id: string
  expires_at: string
  created_at: string
}

function toEntry(r: RevocationRow): FeedEntry {
  const e: FeedEntry = { tokenId: r.token_id, expiresAt: r.expires_at, createdAt: r.created_at }
  if (r.revocation_id !== '') e.revocationId = r.revocation_id
  return e
}

/** A cursor of this engine: the seq of the last entry seen, as decimal text. */
const CURSOR = /^\d{1,15}$/

/**
 * Prepare the `revocations` statements once for `db`. The cursor is `seq` as text: AUTOINCREMENT
 * never reuses a value, and SQLite's one writer commits seqs in order, so a reader continuing after
 * a seq cannot miss a later commit. A gap after the cursor means pruning removed entries the
 * reader never saw: it gets a snapshot (`reset`).
 *
 * @example
 * const revocations = createRevocationsRepo(db)
 */
export function createRevocationsRepo(db: BetterSqlite3.Database): RevocationsRepo {
  const insertStmt = db.prepare<[string, string, string, string], RevocationRow>(
    'INSERT INTO revocations (token_id, revocation_id, expires_at, created_at) VALUES (?, ?, ?, ?) RETURNING *',
  )
  const findStmt = db.prepare<[string, string], RevocationRow>(
    'SELECT * FROM revocations WHERE token_id = ? AND revocation_id = ?',
  )
  const sinceStmt = db.prepare<[number, number], RevocationRow>(
    'SELECT * FROM revocations WHERE seq > ? ORDER BY seq LIMIT ?',
  )
  const latestStmt = db
    .prepare<[], number>("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'revocations'), 0)")
    .pluck()
  const pruneStmt = db.prepare<[string]>('DELETE FROM revocations WHERE expires_at <= ?')
  const allStmt = db.prepare<[], RevocationRow>('SELECT * FROM revocations ORDER BY seq')
  const forTokenStmt = db.prepare<[string], RevocationRow>(
    'SELECT * FROM revocations WHERE token_id = ? ORDER BY seq',
  )
  const countPairsStmt = db
    .prepare<[string, number], number>(
      `SELECT count(*) FROM (SELECT 1 FROM revocations WHERE token_id = ? AND revocation_id <> '' LIMIT ?)`,
    )
    .pluck()
  const latestSeq = (): number => latestStmt.get() ?? 0
  const snapshot = (latest: number, reset: boolean): FeedRead => ({
    cursor: String(latest),
    entries: allStmt.all().map(toEntry),
    ...(reset ? { reset: true as const } : {}),
  })

  return {
    // look up first, then insert (the caller's transaction holds the write lock): a re-add neither
    // fails nor consumes a seq
    add(revocation: NewRevocation): AddedRevocation {
      const revocationId = revocation.revocationId ?? ''
      const existing = findStmt.get(revocation.tokenId, revocationId)
      if (existing) return { inserted: false, entry: toEntry(existing) }
      const row = insertStmt.get(
        revocation.tokenId,
        revocationId,
        toIso(revocation.expiresAt),
        toIso(revocation.createdAt ?? new Date()),
      )
      if (!row) throw new Error('revocation insert returned no row')
      return { inserted: true, entry: toEntry(row) }
    },
    read(since, limit = FEED_PAGE_LIMIT) {
      const latest = latestSeq()
      if (since === undefined) return snapshot(latest, false)
      if (!CURSOR.test(since)) return snapshot(latest, true)
      const after = Number(since)
      const max = Math.max(1, Math.trunc(limit))
      if (after === 0) {
        // FEED_START means "from the beginning": what is still in the table, a page at a time, never a reset
        const page = sinceStmt.all(0, max)
        const last = page.at(-1)
        return {
          cursor: String(page.length < max ? latest : (last?.seq ?? latest)),
          entries: page.map(toEntry),
        }
      }
      if (after === latest) return { cursor: String(latest), entries: [] }
      if (after > latest) return snapshot(latest, true)
      const page = sinceStmt.all(after, max)
      const last = page.at(-1)
      // seqs are dense except where pruning removed rows: a gap after the cursor means the reader
      // missed entries that are gone now
      const span = page.length < max ? latest - after : (last?.seq ?? after) - after
      if (span > page.length) return snapshot(latest, true)
      return { cursor: String(last?.seq ?? after), entries: page.map(toEntry) }
    },
    latestSeq,
    prune(now) {
      return pruneStmt.run(toIso(now)).changes
    },
    all() {
      return allStmt.all().map(toEntry)
    },
    has(tokenId, revocationId) {
      return findStmt.get(tokenId, revocationId ?? '') !== undefined
    },
    forToken(tokenId) {
      return forTokenStmt.all(tokenId).map(toEntry)
    },
    countPairs(tokenId, upTo) {
      return countPairsStmt.get(tokenId, Math.max(0, Math.floor(upTo))) ?? 0
    },
  }
}
