// #17: the PostgreSQL engine's own machinery — migrations under an advisory lock, the append-only
// audit log enforced by the database, the feed's commit-ordered cursor, LISTEN/NOTIFY across
// connections, and "database down" reported as unavailable rather than as a fault.
import type pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ServiceUnavailable } from '../../../src/errors.js'
import { loadMigrations } from '../../../src/store/migrate.js'
import { listenToChannel } from '../../../src/store/postgres/listener.js'
import { migratePostgres, postgresMigrationsDir } from '../../../src/store/postgres/migrate.js'
import { createPool } from '../../../src/store/postgres/pool.js'
import { poolQueryable, type Queryable } from '../../../src/store/postgres/queryable.js'
import { postgresRevocations } from '../../../src/store/postgres/revocations.js'
import { openPostgresStore } from '../../../src/store/postgres/store.js'
import { withTransaction } from '../../../src/store/postgres/transaction.js'
import { isUnavailable } from '../../../src/store/postgres/unavailable.js'
import { describePostgres, usePostgresDatabase } from '../../helpers/postgres.js'
import { numberedTransaction } from '../../helpers/postgres-feed.js'

const FUTURE = '2099-01-01T00:00:00.000Z'

const addRevocation = (q: Queryable, r: { tokenId: string; expiresAt: string }) =>
  postgresRevocations(q).add(r)
const revokeCommitted = (pool: pg.Pool, tokenId: string) =>
  numberedTransaction(pool, (c) => addRevocation(c, { tokenId, expiresAt: FUTURE }))
const latestRevocationSeq = async (q: pg.Pool): Promise<number> =>
  Number((await postgresRevocations(poolQueryable(q)).read(undefined)).cursor)
const seqOf = async (q: pg.Pool, tokenId: string): Promise<number> =>
  Number(
    (await q.query<{ seq: string }>('SELECT seq FROM revocations WHERE token_id = $1', [tokenId])).rows[0]
      ?.seq,
  )

describePostgres('PostgreSQL engine (#17)', () => {
  const db = usePostgresDatabase()
  let pool: pg.Pool

  beforeAll(async () => {
    pool = createPool(db.url, { max: 8 })
  })
  afterAll(async () => {
    await pool?.end()
  })

  it('migrates once when several instances start together (advisory lock), then applies nothing', async () => {
    const pools = [createPool(db.url), createPool(db.url), createPool(db.url)]
    try {
      const results = await Promise.all(pools.map((p) => migratePostgres(p)))
      const all = loadMigrations(postgresMigrationsDir())
      expect(results.map((r) => r.length).sort()).toEqual([0, 0, all.length])
      expect(await migratePostgres(pool)).toEqual([])
      const { rows } = await pool.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      )
      expect(rows).toEqual(all.map((m) => ({ version: m.version })))
    } finally {
      await Promise.all(pools.map((p) => p.end()))
    }
  })

  it('refuses UPDATE, DELETE and TRUNCATE on the audit log, and keeps rows after the key row is gone', async () => {
    await pool.query(
      "INSERT INTO users (id, email, password_hash, created_at) VALUES ('usr_a1', 'a1@example.com', 'x', now())",
    )
    await pool.query(
      `INSERT INTO keys (id, user_id, name, hint, source, kid, created_at, expires_at)
       VALUES ('tok_a1', 'usr_a1', 'k', 'crumb_…abcd', 'api', 'k1', now(), now() + interval '1 day')`,
    )
    await pool.query(
      "INSERT INTO audit_events (at, event, user_id, key_id, actor) VALUES (now(), 'created', 'usr_a1', 'tok_a1', 'usr_a1')",
    )
    await expect(pool.query("UPDATE audit_events SET actor = 'someone else'")).rejects.toThrow(/append-only/)
    await expect(pool.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/)
    await expect(pool.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/)
    await pool.query("DELETE FROM keys WHERE id = 'tok_a1'")
    const { rows } = await pool.query("SELECT key_id FROM audit_events WHERE key_id = 'tok_a1'")
    expect(rows).toHaveLength(1)
  })

  it('re-adding an entry returns the existing one and uses no seq', async () => {
    const first = await revokeCommitted(pool, 'tok_re')
    const seq = await seqOf(pool, 'tok_re')
    expect(seq).toBeGreaterThan(0)
    const again = await revokeCommitted(pool, 'tok_re')
    expect(first.inserted).toBe(true)
    expect(again).toMatchObject({ inserted: false, entry: first.entry })
    expect(await seqOf(pool, 'tok_re')).toBe(seq)
    expect(await latestRevocationSeq(pool)).toBe(seq)
  })

  it('never lets a reader skip an entry, and revokers never wait for each other (#17)', async () => {
    const start = await latestRevocationSeq(pool)
    // a revoking transaction that stays open: the others commit (and are numbered) meanwhile
    let slowCommitted = 0
    const slow = numberedTransaction(pool, async (c) => {
      const r = await addRevocation(c, { tokenId: 'tok_slow', expiresAt: FUTURE })
      await new Promise((res) => setTimeout(res, 300))
      return r
    }).then((r) => {
      slowCommitted = performance.now()
      return r
    })
    await new Promise((res) => setTimeout(res, 50))
    let writersDone = 0
    const writers = Promise.all(
      Array.from({ length: 40 }, (_, i) => revokeCommitted(pool, `tok_w${i}`)),
    ).then(() => {
      writersDone = performance.now()
    })
    // a reader following the feed the way a long-poll does, while the writers run
    const seen: number[] = []
    let cursor = String(start)
    const all = Promise.all([slow, writers])
    let finished = false
    void all.then(() => {
      finished = true
    })
    for (;;) {
      const wasFinished = finished
      const page = await postgresRevocations(poolQueryable(pool)).read(cursor)
      expect(page.reset).toBeUndefined()
      for (const e of page.entries) seen.push(await seqOf(pool, e.tokenId))
      cursor = page.cursor
      if (wasFinished && page.entries.length === 0) break
      await new Promise((res) => setTimeout(res, 5))
    }
    await all
    // every entry once, in seq order, no gaps
    expect(seen).toEqual(Array.from({ length: 41 }, (_, i) => start + i + 1))
    // the open transaction held nobody up, and its entry was numbered after it committed, last
    expect(writersDone).toBeLessThan(slowCommitted)
    expect(await seqOf(pool, 'tok_slow')).toBe(start + 41)
  })

  it('concurrent additions of one entry: one inserts it, the others get it back, none fails', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        numberedTransaction(pool, async (c) => {
          const added = await addRevocation(c, { tokenId: 'tok_same', expiresAt: FUTURE })
          await new Promise((res) => setTimeout(res, 20)) // hold the row while others try
          return added
        }),
      ),
    )
    expect(results.filter((r) => r.inserted)).toHaveLength(1)
    expect(new Set(results.map((r) => r.entry.tokenId))).toEqual(new Set(['tok_same']))
    const { rows } = await pool.query("SELECT seq FROM revocations WHERE token_id = 'tok_same'")
    expect(rows).toHaveLength(1)
  })

  it('numbers an entry right after its transaction commits; a rolled-back one takes no seq', async () => {
    const start = await latestRevocationSeq(pool)
    const seqs = await numberedTransaction(pool, async (c) => {
      await addRevocation(c, { tokenId: 'tok_one', expiresAt: FUTURE })
      await addRevocation(c, { tokenId: 'tok_two', expiresAt: FUTURE })
      // not yet: inside the transaction both are pending
      const { rows } = await c.query<{ seq: string | null }>(
        "SELECT seq FROM revocations WHERE token_id IN ('tok_one', 'tok_two')",
      )
      return rows.map((r) => r.seq)
    })
    expect(seqs).toEqual([null, null])
    // numbered by the time the transaction resolved, in the order they were written
    expect([await seqOf(pool, 'tok_one'), await seqOf(pool, 'tok_two')]).toEqual([start + 1, start + 2])
    expect(await latestRevocationSeq(pool)).toBe(start + 2)
    const { rows } = await pool.query('SELECT 1 FROM revocations WHERE seq IS NULL')
    expect(rows).toHaveLength(0)
    await expect(
      numberedTransaction(pool, async (c) => {
        await addRevocation(c, { tokenId: 'tok_rolled_back', expiresAt: FUTURE })
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    await revokeCommitted(pool, 'tok_three')
    expect(await seqOf(pool, 'tok_three')).toBe(start + 3)
  })

  it('an entry left pending by an instance that died after its commit is numbered by the sweep', async () => {
    const start = await latestRevocationSeq(pool)
    // committed, and its numbering never sent
    await withTransaction(pool, (c) => addRevocation(c, { tokenId: 'tok_orphan', expiresAt: FUTURE }))
    expect(await latestRevocationSeq(pool)).toBe(start)
    const store = await openPostgresStore(db.url, { max: 1, pendingSweepMs: 50 })
    try {
      let seq = 0 // pending: NULL
      for (let i = 0; i < 100 && !(seq > 0); i++) {
        await new Promise((res) => setTimeout(res, 20))
        seq = await seqOf(pool, 'tok_orphan')
      }
      expect(seq).toBe(start + 1)
      const page = await store.revocations.read(String(start))
      expect(page.entries.map((e) => e.tokenId)).toEqual(['tok_orphan'])
    } finally {
      await store.close()
    }
  })

  it('a notification reaches a listener on another connection within milliseconds of the commit', async () => {
    const got: { payload: string; at: number }[] = []
    let ready!: () => void
    const listening = new Promise<void>((res) => {
      ready = res
    })
    const listener = listenToChannel(db.url, 'crumb_revocations', {
      onNotify: (payload) => got.push({ payload, at: performance.now() }),
      onListening: () => ready(),
    })
    try {
      await listening
      await numberedTransaction(pool, async (c) => {
        const r = await addRevocation(c, { tokenId: 'tok_notify', expiresAt: FUTURE })
        // nothing is delivered before the commit
        await new Promise((res) => setTimeout(res, 100))
        expect(got).toEqual([])
        return r
      })
      const numberedAt = performance.now()
      for (let i = 0; i < 200 && got.length === 0; i++) await new Promise((res) => setTimeout(res, 5))
      // one notice for the transaction (listeners re-read from their cursor)
      expect(got).toHaveLength(1)
      expect(got[0]!.at - numberedAt).toBeLessThan(1000)
    } finally {
      await listener.close()
    }
  })

  it('reports a database that cannot be reached as unavailable, quickly', async () => {
    const down = createPool('postgres://postgres@127.0.0.1:1/crumb', { connectionTimeoutMs: 500 })
    try {
      const err = await withTransaction(down, async () => 1).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ServiceUnavailable)
      expect(isUnavailable(err)).toBe(true)
    } finally {
      await down.end()
    }
  })
})
