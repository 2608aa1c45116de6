import { afterEach, describe, expect, it } from 'vitest'
import { manualClock } from '../../src/server/clock.js'
import { RevocationFeed } from '../../src/service/feed.js'
import type { Store } from '../../src/store/index.js'
import { addKey, addUser, at, DAY, tempStore } from '../store/helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

/**
 * A real SQLite store whose feed reads are counted. `quiet`: the feed is never told of a commit
 * (as when another instance's notification has not arrived yet); it learns of one only by reading.
 */
function countedStore(options: { quiet?: boolean } = {}): { store: Store; reads: () => number } {
  const t = tempStore()
  cleanups.push(t.cleanup)
  let reads = 0
  const revocations = new Proxy(t.store.revocations, {
    get(target, prop) {
      const value = Reflect.get(target, prop)
      if (typeof value !== 'function') return value
      if (prop !== 'read') return value.bind(target)
      return (...args: unknown[]) => {
        reads++
        return value.apply(target, args)
      }
    },
  })
  const store = new Proxy(t.store, {
    get(target, prop) {
      if (prop === 'revocations') return revocations
      if (prop === 'watchRevocations' && options.quiet === true) return () => () => undefined
      const value = Reflect.get(target, prop)
      // the engine's methods use private fields: call them on the engine itself
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { store, reads: () => reads }
}

/** A real SQLite store whose feed reads each take `ms`, as a database round trip does. */
function slowReadStore(ms: number): Store {
  const t = tempStore()
  cleanups.push(t.cleanup)
  const revocations = new Proxy(t.store.revocations, {
    get(target, prop) {
      const value = Reflect.get(target, prop)
      if (typeof value !== 'function') return value
      if (prop !== 'read') return value.bind(target)
      return async (...args: unknown[]) => {
        await new Promise((r) => setTimeout(r, ms))
        return value.apply(target, args)
      }
    },
  })
  return new Proxy(t.store, {
    get(target, prop) {
      if (prop === 'revocations') return revocations
      const value = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe('the revocation feed: sync', () => {
  it('answers a call after a read that started after it, however many calls keep coming (#17)', async () => {
    const store = slowReadStore(20)
    const feed = new RevocationFeed(store, manualClock('2026-01-01T00:00:00Z'))
    cleanups.unshift(async () => feed.close())
    const user = await addUser(store)
    const key = await addKey(store, user)
    await feed.sync()
    // a read is running; then an entry commits, then a caller asks: it must see the entry
    const running = feed.sync()
    await new Promise((r) => setTimeout(r, 5))
    await store.revocations.add({ tokenId: key.id, expiresAt: at(90 * DAY) })
    let stream = true
    const calls: Promise<number>[] = []
    const callers = (async () => {
      // every request authenticates with a sync: a steady stream of them during every read
      while (stream) {
        calls.push(feed.sync())
        await new Promise((r) => setTimeout(r, 3))
      }
    })()
    const asked = performance.now()
    await feed.sync()
    const waited = performance.now() - asked
    stream = false
    await callers
    await Promise.all([running, ...calls])
    expect(feed.list.isTokenRevoked(key.id, new Date('2026-01-01T00:00:01Z'))).toBe(true)
    // the running read, then one more: not until the stream of callers stops
    expect(waited).toBeLessThan(150)
  })
})

/** A feed over a {@link countedStore} that holds one user with one key. */
async function feedWithKey() {
  const { store, reads } = countedStore()
  const feed = new RevocationFeed(store, manualClock('2026-01-01T00:00:00Z'))
  cleanups.unshift(async () => feed.close())
  const key = await addKey(store, await addUser(store))
  return { store, reads, feed, key }
}

describe('the revocation feed (long-polls)', () => {
  it('answers 100 long-polls on one cursor with a handful of store reads, not one each', async () => {
    const { store, reads, feed, key } = await feedWithKey()
    const { cursor } = await feed.poll(undefined)
    const polls = Array.from({ length: 100 }, () => feed.poll(cursor, 10_000))
    await new Promise((r) => setTimeout(r, 50))
    expect(feed.waiting).toBe(100)
    const before = reads()
    await store.revocations.add({ tokenId: key.id, expiresAt: at(90 * DAY) })
    const pages = await Promise.all(polls)
    for (const page of pages) expect(page.entries.map((e) => e.tokenId)).toEqual([key.id])
    // one shared read for the waiters (and the feed's own sync), whatever their number
    expect(reads() - before).toBeLessThanOrEqual(4)
  })

  it('never leaves a long-poll waiting for a revocation committed while it was reading', async () => {
    const { store } = countedStore()
    const feed = new RevocationFeed(store, manualClock('2026-01-01T00:00:00Z'))
    cleanups.unshift(async () => feed.close())
    const user = await addUser(store)
    const keys = await Promise.all(Array.from({ length: 20 }, () => addKey(store, user)))
    let { cursor } = await feed.poll(undefined)
    // one revocation after another while a follower keeps long-polling: each arrives promptly
    for (const key of keys) {
      const poll = feed.poll(cursor, 5_000)
      await store.revocations.add({ tokenId: key.id, expiresAt: at(90 * DAY) })
      const started = Date.now()
      const page = await poll
      expect(Date.now() - started).toBeLessThan(1_000)
      expect(page.entries.map((e) => e.tokenId)).toContain(key.id)
      cursor = page.cursor
    }
  })

  // #17: a long-poll is authenticated first, and authentication syncs the feed: the poll's own
  // first read would be the same read again
  it("a poll right after a sync takes the sync's page: one store read, not two", async () => {
    const { store, reads, feed, key } = await feedWithKey()
    const { cursor } = await feed.poll(undefined)
    await feed.sync()
    const before = reads()
    expect((await feed.poll(cursor)).entries).toEqual([])
    expect(reads() - before).toBe(0)
    // a commit (and its notice) starts a new generation: the next poll reads the store again
    await store.revocations.add({ tokenId: key.id, expiresAt: at(90 * DAY) })
    const page = await feed.poll(cursor)
    expect(page.entries.map((e) => e.tokenId)).toEqual([key.id])
    expect(reads() - before).toBeGreaterThan(0)
  })

  it('news a sync reads before any notice wakes the long-polls, and no poll is answered from before it', async () => {
    const { store } = countedStore({ quiet: true })
    const feed = new RevocationFeed(store, manualClock('2026-01-01T00:00:00Z'))
    cleanups.unshift(async () => feed.close())
    const user = await addUser(store)
    const [a, b] = [await addKey(store, user), await addKey(store, user)]
    await feed.sync()
    const { cursor } = await feed.poll(undefined)
    expect((await feed.poll(cursor)).entries).toEqual([]) // read and kept
    // committed without a notice (another instance's, its notification still on the way)
    await store.revocations.add({ tokenId: a.id, expiresAt: at(90 * DAY) })
    const waiting = feed.poll(cursor, 10_000)
    await new Promise((r) => setTimeout(r, 20))
    expect(feed.waiting).toBe(1)
    expect(await feed.sync()).toBe(1) // what a request's authentication does
    const started = Date.now()
    expect((await waiting).entries.map((e) => e.tokenId)).toEqual([a.id])
    expect(Date.now() - started).toBeLessThan(1_000)
    // the page kept before the commit is never answered again
    expect((await feed.poll(cursor)).entries.map((e) => e.tokenId)).toEqual([a.id])
    await store.revocations.add({ tokenId: b.id, expiresAt: at(90 * DAY) })
    await feed.sync()
    expect((await feed.poll(cursor)).entries.map((e) => e.tokenId)).toEqual([a.id, b.id])
  })
})
