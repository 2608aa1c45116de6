// #17 item 4: the invariants hold with two instances writing at once. Two stores on one database
// stand for two token-service instances (each its own pool and listening connection).
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Store } from '../../../src/store/port.js'
import { openPostgresStore } from '../../../src/store/postgres/index.js'
import { describePostgres, usePostgresDatabase } from '../../helpers/postgres.js'

const NOW = '2026-06-01T00:00:00.000Z'
const LATER = '2099-01-01T00:00:00.000Z'

describePostgres('two instances on one PostgreSQL database (#17)', () => {
  const db = usePostgresDatabase()
  let a: Store
  let b: Store

  beforeAll(async () => {
    // started together: the migration runs once (advisory lock), neither start fails
    ;[a, b] = await Promise.all([openPostgresStore(db.url), openPostgresStore(db.url)])
  })
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()])
  })

  let n = 0
  const user = async (keys: number): Promise<{ userId: string; keyIds: string[] }> => {
    n++
    const userId = `usr_two${n}`
    await a.users.insert({ id: userId, email: `two${n}@example.com`, passwordHash: 'x', createdAt: NOW })
    const keyIds: string[] = []
    for (let i = 0; i < keys; i++) {
      const id = `tok_two${n}_${i}`
      await a.keys.insert({
        id,
        userId,
        name: `k${i}`,
        hint: 'crumb_…abcd',
        source: 'api',
        kid: 'k1',
        createdAt: NOW,
        expiresAt: LATER,
      })
      keyIds.push(id)
    }
    return { userId, keyIds }
  }

  it('a key written through A is read through B', async () => {
    const { userId, keyIds } = await user(1)
    expect((await b.keys.list(userId, { now: NOW })).map((k) => k.id)).toEqual(keyIds)
  })

  it('last-key protection: A and B revoking the last two keys at once leave one active (lockUser)', async () => {
    for (let round = 0; round < 5; round++) {
      const { userId, keyIds } = await user(2)
      const revoke = (s: Store, id: string): Promise<boolean> =>
        s.transaction(async (tx) => {
          await tx.lockUser(userId)
          if ((await tx.keys.countActive(userId, NOW)) <= 1) return false
          await tx.keys.revoke(id, NOW, 'user')
          await tx.revocations.add({ tokenId: id, expiresAt: LATER })
          return true
        })
      const results = await Promise.all([revoke(a, keyIds[0]!), revoke(b, keyIds[1]!)])
      expect(results.filter(Boolean)).toHaveLength(1)
      expect(await a.keys.countActive(userId, NOW)).toBe(1)
    }
  })

  it('a key revoked by both instances at once is revoked by exactly one (jobs never double-act)', async () => {
    const { keyIds } = await user(1)
    const id = keyIds[0]!
    const results = await Promise.all(
      [a, b, a, b].map((s) => s.transaction((tx) => tx.keys.revoke(id, NOW, 'unused'))),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    const hardDeleted = await Promise.all([a, b].map((s) => s.transaction((tx) => tx.keys.hardDelete(id))))
    expect(hardDeleted.filter(Boolean)).toHaveLength(1)
  })

  it('a device code is consumed once when both instances try', async () => {
    const { userId, keyIds } = await user(2)
    const code = await a.deviceCodes.create({
      deviceCodeHash: 'h'.repeat(64),
      userCode: 'ABCD-EFGH',
      deviceName: 'laptop',
      createdAt: NOW,
      expiresAt: LATER,
      interval: 5,
    })
    expect(code?.status).toBe('pending')
    expect(
      await b.deviceCodes.create({
        deviceCodeHash: 'i'.repeat(64),
        userCode: 'abcd-efgh',
        deviceName: 'x',
        createdAt: NOW,
        expiresAt: LATER,
        interval: 5,
      }),
    ).toBeUndefined()
    expect((await b.deviceCodes.approve('abcd-efgh', userId, NOW))?.status).toBe('approved')
    const consumed = await Promise.all(
      [a, b].map((s, i) => s.transaction((tx) => tx.deviceCodes.consume('h'.repeat(64), keyIds[i]!, NOW))),
    )
    expect(consumed.filter(Boolean)).toHaveLength(1)
  })

  it('a revocation committed through A wakes a watcher on B within milliseconds, and B reads it', async () => {
    const { keyIds } = await user(1)
    const start = await b.revocations.read(undefined)
    let woke = 0
    const woken = new Promise<number>((resolve) => {
      const stop = b.watchRevocations(() => {
        stop()
        resolve(performance.now())
      })
    })
    const t0 = performance.now()
    await a.transaction((tx) => tx.revocations.add({ tokenId: keyIds[0]!, expiresAt: LATER }))
    const committed = performance.now()
    woke = await woken
    expect(woke - committed).toBeLessThan(500)
    expect(woke).toBeGreaterThan(t0)
    const page = await b.revocations.read(start.cursor)
    expect(page.entries.map((e) => e.tokenId)).toEqual([keyIds[0]])
    expect(page.reset).toBeUndefined()
  })

  it('a feed reader following cursors through B misses nothing written concurrently through A and B', async () => {
    let cursor = (await b.revocations.read(undefined)).cursor
    const writers = Array.from({ length: 30 }, (_, i) =>
      (i % 2 ? a : b).transaction((tx) => tx.revocations.add({ tokenId: `tok_feed${i}`, expiresAt: LATER })),
    )
    const seen: string[] = []
    let done = false
    const all = Promise.all(writers).then(() => {
      done = true
    })
    for (;;) {
      const wasDone = done
      const page = await b.revocations.read(cursor)
      expect(page.reset).toBeUndefined()
      seen.push(...page.entries.map((e) => e.tokenId))
      cursor = page.cursor
      if (wasDone && page.entries.length === 0) break
      await new Promise((r) => setTimeout(r, 3))
    }
    await all
    expect(seen.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `tok_feed${i}`).sort())
  })

  it('a cursor older than pruned entries gets a reset snapshot; an unknown cursor too', async () => {
    const before = (await a.revocations.read(undefined)).cursor
    await a.transaction((tx) =>
      tx.revocations.add({ tokenId: 'tok_old', expiresAt: '2026-01-01T00:00:00.000Z' }),
    )
    await a.transaction((tx) => tx.revocations.add({ tokenId: 'tok_new', expiresAt: LATER }))
    expect(await a.revocations.prune(NOW)).toBeGreaterThanOrEqual(1)
    const page = await b.revocations.read(before)
    expect(page.reset).toBe(true)
    expect(page.entries.map((e) => e.tokenId)).toContain('tok_new')
    expect(page.entries.map((e) => e.tokenId)).not.toContain('tok_old')
    expect((await b.revocations.read('999999999')).reset).toBe(true)
    expect((await b.revocations.read('not-a-cursor')).reset).toBe(true)
    const fromStart = await b.revocations.read('0')
    expect(fromStart.reset).toBeUndefined()
    expect(fromStart.entries.map((e) => e.tokenId)).toContain('tok_new')
  })
})
