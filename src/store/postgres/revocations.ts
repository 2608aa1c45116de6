import { type Instant, toIso } from '../time.js'
import { isoOf, type Queryable } from './queryable.js'

/** One row of `revocations` as the engine returns it (seq as a number: cursors stay below 2^53). */
export interface PgRevocationEntry {
  seq: number
  tokenId: string
  revocationId?: string
  expiresAt: string
  createdAt: string
}

/** What {@link addRevocation} takes. */
export interface PgNewRevocation {
  tokenId: string
  revocationId?: string | null | undefined
  expiresAt: Instant
  createdAt?: Instant | undefined
}

interface Row {
  seq: string
  token_id: string
  revocation_id: string
  expires_at: Date
  created_at: Date
}

function toEntry(r: Row): PgRevocationEntry {
  const e: PgRevocationEntry = {
    seq: Number(r.seq),
    tokenId: r.token_id,
    expiresAt: isoOf(r.expires_at),
    createdAt: isoOf(r.created_at),
  }
  if (r.revocation_id !== '') e.revocationId = r.revocation_id
  return e
}

/**
 * Add a feed entry inside the caller's transaction (`q` must be a connection with `BEGIN` issued):
 * takes the `revocation_feed` counter row lock, which serializes revoking transactions until they
 * commit so that seq order is commit order (see db/postgres/001_init.sql). Idempotent: an entry
 * that already exists is returned with `inserted: false` and no seq is used. Keep it the last
 * write of the transaction, the lock is held until commit.
 *
 * @example
 * await client.query('BEGIN')
 * const { seq } = await addRevocation(client, { tokenId, expiresAt })
 * await client.query('COMMIT')
 */
export async function addRevocation(
  q: Queryable,
  revocation: PgNewRevocation,
): Promise<{ seq: number; inserted: boolean; entry: PgRevocationEntry }> {
  const revocationId = revocation.revocationId ?? ''
  // 1. the counter row lock: waits for any other revoking transaction to commit or roll back
  const counter = await q.query<{ last_seq: string }>(
    'SELECT last_seq FROM revocation_feed WHERE only_row FOR UPDATE',
  )
  const next = Number(counter.rows[0]?.last_seq ?? 0) + 1
  // 2. a new statement, so (READ COMMITTED) a new snapshot taken with the lock held: it sees an
  //    entry for this token committed while we waited, and no other revoker can add one meanwhile
  const { rows } = await q.query<Row & { inserted: boolean }>(
    `WITH existing AS (
       SELECT * FROM revocations WHERE token_id = $1 AND revocation_id = $2
     ), added AS (
       INSERT INTO revocations (seq, token_id, revocation_id, expires_at, created_at)
       SELECT $5, $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM existing)
       RETURNING *
     ), bumped AS (
       UPDATE revocation_feed SET last_seq = added.seq FROM added WHERE revocation_feed.only_row
     )
     SELECT *, true AS inserted FROM added
     UNION ALL
     SELECT *, false AS inserted FROM existing`,
    [
      revocation.tokenId,
      revocationId,
      toIso(revocation.expiresAt),
      toIso(revocation.createdAt ?? new Date()),
      next,
    ],
  )
  const row = rows[0]
  if (row === undefined) throw new Error('revocation insert returned no row')
  const entry = toEntry(row)
  return { seq: entry.seq, inserted: row.inserted, entry }
}

/**
 * Entries with `seq > cursor`, in seq order, at most `limit`.
 *
 * @example
 * const page = await revocationsSince(pool, 41, 1000)
 */
export async function revocationsSince(
  q: Queryable,
  cursor: number,
  limit: number,
): Promise<PgRevocationEntry[]> {
  const { rows } = await q.query<Row>('SELECT * FROM revocations WHERE seq > $1 ORDER BY seq LIMIT $2', [
    cursor,
    Math.max(1, Math.trunc(limit)),
  ])
  return rows.map(toEntry)
}

/**
 * The highest seq ever committed (0 for none); it survives pruning.
 *
 * @example
 * await latestRevocationSeq(pool) // 42
 */
export async function latestRevocationSeq(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ last_seq: string }>('SELECT last_seq FROM revocation_feed WHERE only_row')
  return Number(rows[0]?.last_seq ?? 0)
}

/** Every entry in seq order. @example await allRevocations(pool) */
export async function allRevocations(q: Queryable): Promise<PgRevocationEntry[]> {
  const { rows } = await q.query<Row>('SELECT * FROM revocations ORDER BY seq')
  return rows.map(toEntry)
}

/** The entries of one token id in seq order. @example await revocationsForToken(pool, 'tok_abc') */
export async function revocationsForToken(q: Queryable, tokenId: string): Promise<PgRevocationEntry[]> {
  const { rows } = await q.query<Row>('SELECT * FROM revocations WHERE token_id = $1 ORDER BY seq', [tokenId])
  return rows.map(toEntry)
}

/** True when the exact entry exists. @example await hasRevocation(pool, 'tok_abc') */
export async function hasRevocation(q: Queryable, tokenId: string, revocationId?: string): Promise<boolean> {
  const { rowCount } = await q.query('SELECT 1 FROM revocations WHERE token_id = $1 AND revocation_id = $2', [
    tokenId,
    revocationId ?? '',
  ])
  return (rowCount ?? 0) > 0
}

/** Delete entries whose root token expired (`expires_at <= now`); returns how many. @example await pruneRevocations(pool, new Date()) */
export async function pruneRevocations(q: Queryable, now: Instant): Promise<number> {
  const { rowCount } = await q.query('DELETE FROM revocations WHERE expires_at <= $1', [toIso(now)])
  return rowCount ?? 0
}
