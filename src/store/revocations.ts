import type BetterSqlite3 from 'better-sqlite3'
import { type Instant, toIso } from './time.js'

/**
 * One entry of the revocation list (DESIGN.md, "Revocation"): a whole root token (no
 * `revocationId`), or one attenuated token and its descendants (`tokenId` + `revocationId`).
 */
export interface RevocationEntry {
  /** Feed cursor: strictly increasing, never reused (even after pruning). */
  seq: number
  tokenId: string
  /** Absent for a whole-token entry. */
  revocationId?: string
  /** When the root token would have expired anyway; the entry is pruned after it. */
  expiresAt: string
  createdAt: string
}

/** What {@link RevocationsRepo.add} takes. */
export interface NewRevocation {
  tokenId: string
  /** Omit (or pass null/'') to revoke the whole root token. */
  revocationId?: string | null | undefined
  expiresAt: Instant
  /** Default: the clock. */
  createdAt?: Instant | undefined
}

/** Result of {@link RevocationsRepo.add}. */
export interface AddRevocationResult {
  seq: number
  /** False when the entry already existed (the existing entry is returned). */
  inserted: boolean
  entry: RevocationEntry
}

/** Typed access to the `revocations` table, the source of the revocation feed. */
export interface RevocationsRepo {
  /**
   * Add an entry; idempotent: re-adding the same (token id, revocation id) returns the existing
   * entry with `inserted: false`.
   *
   * @example
   * const { seq, inserted } = store.revocations.add({ tokenId, expiresAt: key.expiresAt })
   */
  add(revocation: NewRevocation): AddRevocationResult
  /**
   * Entries with `seq > cursor`, in seq order, at most `limit` (default 1000).
   *
   * @example
   * const entries = store.revocations.since(cursor, 500)
   * const next = entries.at(-1)?.seq ?? cursor
   */
  since(cursor: number, limit?: number): RevocationEntry[]
  /**
   * The highest seq ever assigned (0 for none) — survives pruning, so a verifier's cursor stays valid.
   *
   * @example
   * store.revocations.latestSeq() // 42
   */
  latestSeq(): number
  /** Delete entries whose root token has expired (`expires_at <= now`); returns how many. @example store.revocations.prune(new Date()) */
  prune(now: Instant): number
  /** Every entry, in seq order (a snapshot for a verifier starting from scratch). @example store.revocations.all() */
  all(): RevocationEntry[]
  /**
   * True when the exact entry exists (whole token when `revocationId` is omitted).
   *
   * @example
   * store.revocations.has('tok_abc') // whole-token entry?
   */
  has(tokenId: string, revocationId?: string): boolean
  /** The entries for one token id, in seq order. @example store.revocations.forToken('tok_abc') */
  forToken(tokenId: string): RevocationEntry[]
}

interface RevocationRow {
  seq: number
  token_id: string
  revocation_id: string
  expires_at: string
  created_at: string
}

/** Default page size of {@link RevocationsRepo.since}. */
export const REVOCATIONS_DEFAULT_LIMIT = 1000

function toEntry(r: RevocationRow): RevocationEntry {
  const e: RevocationEntry = {
    seq: r.seq,
    tokenId: r.token_id,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
  }
  if (r.revocation_id !== '') e.revocationId = r.revocation_id
  return e
}

/**
 * Prepare the `revocations` statements once for `db`.
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

  // look up first, then insert, in one write transaction: a re-add neither fails nor consumes a seq
  const addTx = db.transaction((revocation: NewRevocation): AddRevocationResult => {
    const revocationId = revocation.revocationId ?? ''
    const existing = findStmt.get(revocation.tokenId, revocationId)
    if (existing) return { seq: existing.seq, inserted: false, entry: toEntry(existing) }
    const row = insertStmt.get(
      revocation.tokenId,
      revocationId,
      toIso(revocation.expiresAt),
      toIso(revocation.createdAt ?? new Date()),
    )
    if (!row) throw new Error('revocation insert returned no row')
    return { seq: row.seq, inserted: true, entry: toEntry(row) }
  })

  return {
    add(revocation) {
      return addTx.immediate(revocation)
    },
    since(cursor, limit = REVOCATIONS_DEFAULT_LIMIT) {
      return sinceStmt.all(cursor, Math.max(1, Math.trunc(limit))).map(toEntry)
    },
    latestSeq() {
      return latestStmt.get() ?? 0
    },
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
  }
}
