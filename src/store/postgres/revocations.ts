import type { AddedRevocation, FeedEntry, FeedRead, RevocationsPort } from '../port.js'
import { FEED_PAGE_LIMIT } from '../port.js'
import { newEntryFields } from '../revocations.js'
import { toIso } from '../time.js'
import { isoOf, type Queryable } from './queryable.js'

interface Row {
  seq: string
  token_id: string
  revocation_id: string
  expires_at: Date
  created_at: Date
  effective_at: Date | null
}

function toEntry(r: Row): FeedEntry {
  const e: FeedEntry = { tokenId: r.token_id, expiresAt: isoOf(r.expires_at), createdAt: isoOf(r.created_at) }
  if (r.revocation_id !== '') e.revocationId = r.revocation_id
  if (r.effective_at !== null) e.effectiveAt = isoOf(r.effective_at)
  return e
}

/**
 * Numbers the committed pending entries (db/postgres/006): run after every commit that added or
 * moved one (one call shared by the commits of an instance meanwhile), and every second by each
 * instance (for an instance that died in between).
 */
export const NUMBER_PENDING_REVOCATIONS = 'SELECT revocation_feed_number()'

// Cursors are the decimal seq (below 2^53); anything else cannot be continued
const CURSOR = /^\d{1,15}$/

/**
 * The revocation list and its feed on PostgreSQL.
 *
 * Writing: {@link RevocationsPort.add} writes the entry pending, without a seq, and
 * {@link NUMBER_PENDING_REVOCATIONS} numbers it once its transaction has committed, so revoking
 * transactions never wait for each other (why, and why a reader still never skips an entry: see
 * db/postgres/005_feed_sequencer.sql and 006_feed_numbered_after_commit.sql; why its plans never read
 * the whole table: 007_feed_numbering_uses_its_index.sql).
 *
 * Reading: each page is one statement, so the page and the latest seq come from one snapshot;
 * since seqs are dense and commit in order, a page that holds fewer entries than its seq span
 * means pruning removed some after the caller's cursor, and the caller gets a `reset` snapshot.
 *
 * @example
 * const feed = postgresRevocations(pool)
 * const page = await feed.read('41')
 */
export function postgresRevocations(q: Queryable): RevocationsPort {
  const snapshot = async (reset: boolean): Promise<FeedRead> => {
    const { rows } = await q.query<Row & { last_seq: string }>(
      `SELECT f.last_seq, r.* FROM revocation_feed f
       LEFT JOIN revocations r ON r.seq <= f.last_seq
       WHERE f.only_row ORDER BY r.seq`,
    )
    const latest = rows[0]?.last_seq ?? '0'
    const entries = rows.filter((r) => r.seq !== null).map(toEntry)
    return reset ? { cursor: latest, entries, reset: true } : { cursor: latest, entries }
  }

  return {
    async add(revocation): Promise<AddedRevocation> {
      const { revocationId, createdAt, effectiveAt } = newEntryFields(revocation)
      const values = [revocation.tokenId, revocationId, toIso(revocation.expiresAt), createdAt, effectiveAt]
      // Written pending (no seq): it takes its seq after this transaction commits
      // (db/postgres/006). A new entry (the usual case) is a plain insert: measured (#17), 43-45 µs
      // of backend CPU against 62-70 µs for the statement below, which runs only when the entry is
      // there already. An existing entry not yet in force at $4 that the new one applies sooner
      // than takes the new fields and becomes pending again, so readers following the cursor get
      // it anew (db/postgres/004). The conditions are on the row itself, so a concurrent
      // replacement is judged against what it committed.
      const fresh = await q.query<Row>(
        `INSERT INTO revocations (token_id, revocation_id, expires_at, created_at, effective_at)
         VALUES ($1, $2, $3::timestamptz, $4::timestamptz, $5::timestamptz)
         ON CONFLICT (token_id, revocation_id) DO NOTHING
         RETURNING *`,
        values,
      )
      const added = fresh.rows[0]
      if (added !== undefined) return { inserted: true, entry: toEntry(added) }
      for (let attempt = 0; attempt < 2; attempt++) {
        const { rows } = await q.query<Row & { inserted: boolean }>(
          `WITH existing AS (
             SELECT * FROM revocations WHERE token_id = $1 AND revocation_id = $2
           ), moved AS (
             UPDATE revocations r
             SET seq = NULL, expires_at = $3::timestamptz, created_at = $4::timestamptz,
                 effective_at = $5::timestamptz
             WHERE r.token_id = $1 AND r.revocation_id = $2 AND r.effective_at > $4::timestamptz
               AND ($5::timestamptz IS NULL OR $5::timestamptz < r.effective_at)
             RETURNING r.*
           ), added AS (
             INSERT INTO revocations (token_id, revocation_id, expires_at, created_at, effective_at)
             SELECT $1, $2, $3::timestamptz, $4::timestamptz, $5::timestamptz
             WHERE NOT EXISTS (SELECT 1 FROM existing)
             ON CONFLICT (token_id, revocation_id) DO NOTHING
             RETURNING *
           )
           SELECT *, true AS inserted FROM added
           UNION ALL
           SELECT *, true AS inserted FROM moved
           UNION ALL
           SELECT *, false AS inserted FROM existing WHERE NOT EXISTS (SELECT 1 FROM moved)`,
          values,
        )
        const row = rows[0]
        if (row !== undefined) return { inserted: row.inserted, entry: toEntry(row) }
        // another transaction added the same entry after this statement's snapshot and committed
        // while the insert waited on it: the next statement's snapshot sees it
      }
      throw new Error('revocation insert returned no row')
    },

    async read(since, limit = FEED_PAGE_LIMIT) {
      if (since === undefined) return snapshot(false)
      if (!CURSOR.test(since)) return snapshot(true)
      const cursor = Number(since)
      const pageSize = Math.max(1, Math.trunc(limit))
      const { rows } = await q.query<Row & { last_seq: string }>(
        `SELECT f.last_seq, r.* FROM revocation_feed f
         LEFT JOIN LATERAL (
           SELECT * FROM revocations WHERE seq > $1 AND seq <= f.last_seq ORDER BY seq LIMIT $2
         ) r ON true
         WHERE f.only_row`,
        [cursor, pageSize],
      )
      const latest = Number(rows[0]?.last_seq ?? 0)
      const page = rows.filter((r) => r.seq !== null)
      if (cursor > latest) return snapshot(true)
      const last = page.at(-1)
      const lastSeq = last === undefined ? cursor : Number(last.seq)
      // from the beginning ('0'): whatever is left is the whole list, pruned gaps included
      if (cursor > 0) {
        const span = page.length < pageSize ? latest - cursor : lastSeq - cursor
        if (span > page.length) return snapshot(true)
      }
      const next = page.length < pageSize ? latest : lastSeq
      return { cursor: String(next), entries: page.map(toEntry) }
    },

    async prune(now) {
      return (await q.query('DELETE FROM revocations WHERE expires_at <= $1', [toIso(now)])).rowCount ?? 0
    },
    async all() {
      const { rows } = await q.query<Row>('SELECT * FROM revocations ORDER BY seq')
      return rows.map(toEntry)
    },
    async has(tokenId, revocationId) {
      const { rowCount } = await q.query(
        'SELECT 1 FROM revocations WHERE token_id = $1 AND revocation_id = $2',
        [tokenId, revocationId ?? ''],
      )
      return (rowCount ?? 0) > 0
    },
    async forToken(tokenId) {
      const { rows } = await q.query<Row>('SELECT * FROM revocations WHERE token_id = $1 ORDER BY seq', [
        tokenId,
      ])
      return rows.map(toEntry)
    },
    async countPairs(tokenId, upTo) {
      const { rows } = await q.query<{ n: string }>(
        `SELECT count(*) AS n FROM (SELECT 1 FROM revocations WHERE token_id = $1 AND revocation_id <> '' LIMIT $2) p`,
        [tokenId, Math.max(0, Math.floor(upTo))],
      )
      return Number(rows[0]?.n ?? 0)
    },
  }
}
