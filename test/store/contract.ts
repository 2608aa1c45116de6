import { describe, expect, it } from 'vitest'
import type { CrumbError } from '../../src/errors.js'
import { loadConfig } from '../../src/server/config.js'
import { createLogger } from '../../src/server/logger.js'
import {
  actorFor,
  createKey,
  createService,
  type MintedKey,
  mintKey,
  revokeKey,
  rotateKey,
  type Service,
} from '../../src/service/index.js'
import { FEED_START, type Store } from '../../src/store/index.js'
import { generateKeyRing } from '../../src/token/index.js'
import { oauthContract } from './contract-oauth.js'
import { addKey, addUser, at, DAY } from './helpers.js'

/** A database for one test: a store on it, a second store on the same database, and clean-up. */
export interface EngineInstance {
  readonly store: Store
  /** Another store (another connection, as another instance would have) on the same database. */
  another(): Promise<Store>
  cleanup(): Promise<void>
}

/** How the contract suite gets a fresh, migrated, empty database of an engine. */
export interface EngineFactory {
  readonly name: string
  create(): Promise<EngineInstance>
}

const quietLogger = createLogger({ level: 'silent' })

function serviceOver(store: Store, config: Partial<ReturnType<typeof loadConfig>> = {}): Service {
  return createService({
    store,
    ring: generateKeyRing(),
    config: { ...loadConfig({}), ...config },
    logger: quietLogger,
  })
}

const meta = { ip: '127.0.0.1', userAgent: 'contract' }

/**
 * The storage contract: every engine passes it (`sqlite.contract.test.ts`, `postgres.contract.test.ts`).
 * Repository methods, transactions, the feed, and the invariants under concurrency (#16 item 3).
 *
 * @example
 * storeContract({ name: 'sqlite', create: async () => … })
 */
export function storeContract(engine: EngineFactory): void {
  let current: EngineInstance | undefined
  const use = async (): Promise<EngineInstance> => {
    current = await engine.create()
    return current
  }
  const done = async (): Promise<void> => {
    await current?.cleanup()
    current = undefined
  }
  const test = (name: string, fn: (e: EngineInstance) => Promise<void>, timeout = 30_000): void => {
    it(
      name,
      async () => {
        const e = await use()
        try {
          await fn(e)
        } finally {
          await done()
        }
      },
      timeout,
    )
  }

  describe(`store contract: ${engine.name}`, () => {
    describe('transactions', () => {
      test('commits a transaction and returns its value', async ({ store }) => {
        const uid = await addUser(store)
        const k = await addKey(store, uid)
        const id = await store.transaction(async (tx) => {
          await tx.keys.revoke(k.id, at(1), 'user')
          await tx.revocations.add({ tokenId: k.id, expiresAt: k.expiresAt })
          await tx.audit.append({ event: 'revoked', userId: uid, keyId: k.id, actor: uid })
          return 42
        })
        expect(id).toBe(42)
        expect((await store.audit.list(uid)).events.map((e) => e.event)).toEqual(['revoked'])
        expect((await store.keys.get(k.id))?.status).toBe('revoked')
        expect(await store.revocations.has(k.id)).toBe(true)
      })

      test('a key inserted in a transaction is what a read returns afterwards', async ({ store }) => {
        const uid = await addUser(store)
        const inserted = await store.transaction((tx) =>
          tx.keys.insert({
            id: 'tok_in_tx',
            userId: uid,
            name: 'deploy',
            hint: 'crumb_…0001',
            source: 'api',
            kid: 'k1',
            caveats: ['ops = deploy'],
            createdAt: '2026-01-01T00:00:00Z',
            expiresAt: '2099-01-01T00:00:00+00:00',
          }),
        )
        expect(await store.keys.get('tok_in_tx')).toEqual(inserted)
      })

      test('a write refused by the database fails its transaction, even one nobody waited on', async ({
        store,
      }) => {
        const uid = await addUser(store)
        const k = await addKey(store, uid)
        const attempt = store.transaction(async (tx) => {
          await tx.keys.revoke(k.id, at(1), 'user')
          // an unknown user: the foreign key refuses it (PostgreSQL tells only at the commit)
          await tx.keys.insert({ ...k, id: 'tok_orphan', userId: 'usr_nobody', createdAt: at(0) })
          await tx.audit.append({ event: 'revoked', userId: uid, keyId: k.id, actor: uid })
          return 'committed'
        })
        await expect(attempt).rejects.toThrow(/foreign key|FOREIGN KEY/)
        expect((await store.keys.get(k.id, at(2)))?.status).toBe('active')
        expect(await store.keys.get('tok_orphan')).toBeUndefined()
        expect((await store.audit.list(uid)).events).toEqual([])
      })

      test('rolls the whole transaction back when it throws', async ({ store }) => {
        const uid = await addUser(store)
        const k = await addKey(store, uid)
        await expect(
          store.transaction(async (tx) => {
            await tx.keys.revoke(k.id, at(1), 'user')
            await tx.revocations.add({ tokenId: k.id, expiresAt: k.expiresAt })
            await tx.audit.append({ event: 'revoked', userId: uid, keyId: k.id, actor: uid })
            throw new Error('last_key_protected')
          }),
        ).rejects.toThrow('last_key_protected')
        expect((await store.keys.get(k.id, at(2)))?.status).toBe('active')
        expect(await store.revocations.all()).toEqual([])
        expect((await store.audit.list(uid)).events).toEqual([])
      })

      test('concurrent transactions: a failing one rolls back only itself', async ({ store }) => {
        const insert = (id: string) =>
          store.transaction((tx) =>
            tx.users.insert({ id, email: `${id}@example.com`, passwordHash: 'x', createdAt: at(0) }),
          )
        const results = await Promise.allSettled([
          insert('usr_a'),
          store.transaction(async (tx) => {
            await tx.users.insert({
              id: 'usr_b',
              email: 'b@example.com',
              passwordHash: 'x',
              createdAt: at(0),
            })
            throw new Error('boom')
          }),
          insert('usr_c'),
          insert('usr_a'),
        ])
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected'])
        expect(await store.users.get('usr_a')).toBeDefined()
        expect(await store.users.get('usr_b')).toBeUndefined()
        expect(await store.users.get('usr_c')).toBeDefined()
      })

      test('a transaction’s writes are invisible outside it until it commits', async ({ store }) => {
        const uid = await addUser(store)
        let release: () => void = () => {}
        const gate = new Promise<void>((resolve) => {
          release = resolve
        })
        let inserted: () => void = () => {}
        const insertedP = new Promise<void>((resolve) => {
          inserted = resolve
        })
        const tx = store.transaction(async (t) => {
          await addKey(t, uid, { id: 'tok_pending' })
          inserted()
          await gate
        })
        await insertedP
        expect(await store.keys.get('tok_pending')).toBeUndefined()
        release()
        await tx
        expect(await store.keys.get('tok_pending')).toBeDefined()
      })

      test('a transaction’s repositories refuse to run after it ended', async ({ store }) => {
        let leaked: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined
        await store.transaction(async (tx) => {
          leaked = tx
        })
        await expect(leaked?.users.get('usr_x')).rejects.toThrow()
      })

      test('another connection sees committed writes', async ({ store, another }) => {
        const uid = await addUser(store)
        const k = await addKey(store, uid)
        const other = await another()
        try {
          expect((await other.keys.get(k.id))?.id).toBe(k.id)
          await other.revocations.add({ tokenId: k.id, expiresAt: k.expiresAt })
          expect(await store.revocations.has(k.id)).toBe(true)
        } finally {
          await other.close()
        }
      })

      test('health answers true while open', async ({ store }) => {
        expect(await store.health()).toBe(true)
      })
    })

    describe('keys', () => {
      test('getWithOwner reads a key with its user in one call; the same as get and users.get', async ({
        store,
      }) => {
        const uid = await addUser(store)
        const k = await addKey(store, uid, { expiresAt: at(DAY) })
        const found = await store.keys.getWithOwner(k.id, at(1))
        expect(found?.key).toEqual(await store.keys.get(k.id, at(1)))
        expect(found?.owner).toEqual(await store.users.get(uid))
        expect(found?.owner?.id).toBe(uid)
        expect((await store.keys.getWithOwner(k.id, at(DAY)))?.key.status).toBe('expired')
        expect(await store.keys.getWithOwner('tok_missing')).toBeUndefined()
      })
    })

    describe('revocations and the feed', () => {
      test('adds whole-token and (token, revocation id) entries', async ({ store }) => {
        const a = await store.revocations.add({ tokenId: 'tok_a', expiresAt: at(DAY), createdAt: at(0) })
        const b = await store.revocations.add({ tokenId: 'tok_a', revocationId: 'rid1', expiresAt: at(DAY) })
        expect(a.inserted).toBe(true)
        expect(b.inserted).toBe(true)
        expect(a.entry).toEqual({ tokenId: 'tok_a', expiresAt: at(DAY), createdAt: at(0) })
        expect(b.entry.revocationId).toBe('rid1')
        expect(await store.revocations.has('tok_a')).toBe(true)
        expect(await store.revocations.has('tok_a', 'rid1')).toBe(true)
        expect(await store.revocations.has('tok_a', 'rid2')).toBe(false)
        expect(await store.revocations.has('tok_b')).toBe(false)
        expect((await store.revocations.forToken('tok_a')).map((e) => e.revocationId ?? '')).toEqual([
          '',
          'rid1',
        ])
        // pair entries only, counted no further than asked
        await store.revocations.add({ tokenId: 'tok_a', revocationId: 'rid2', expiresAt: at(DAY) })
        await store.revocations.add({ tokenId: 'tok_b', revocationId: 'rid1', expiresAt: at(DAY) })
        expect(await store.revocations.countPairs('tok_a', 100)).toBe(2)
        expect(await store.revocations.countPairs('tok_a', 1)).toBe(1)
        expect(await store.revocations.countPairs('tok_c', 100)).toBe(0)
      })

      test('is idempotent, including for whole-token entries', async ({ store }) => {
        const first = await store.revocations.add({ tokenId: 'tok_a', expiresAt: at(DAY) })
        const again = await store.revocations.add({ tokenId: 'tok_a', expiresAt: at(2 * DAY) })
        const viaNull = await store.revocations.add({
          tokenId: 'tok_a',
          revocationId: null,
          expiresAt: at(DAY),
        })
        expect(again).toEqual({ inserted: false, entry: first.entry })
        expect(viaNull.inserted).toBe(false)
        await store.revocations.add({ tokenId: 'tok_a', revocationId: 'r', expiresAt: at(DAY) })
        expect(
          (await store.revocations.add({ tokenId: 'tok_a', revocationId: 'r', expiresAt: at(DAY) })).inserted,
        ).toBe(false)
        expect(await store.revocations.all()).toHaveLength(2)
      })

      test('feeds entries after a cursor, in order, a page at a time', async ({ store }) => {
        const empty = await store.revocations.read(FEED_START)
        expect(empty.entries).toEqual([])
        for (let i = 0; i < 10; i++) await store.revocations.add({ tokenId: `tok_${i}`, expiresAt: at(DAY) })
        const snapshot = await store.revocations.read(undefined)
        expect(snapshot.entries.map((e) => e.tokenId)).toHaveLength(10)
        const page1 = await store.revocations.read(empty.cursor, 4)
        expect(page1.entries.map((e) => e.tokenId)).toEqual(['tok_0', 'tok_1', 'tok_2', 'tok_3'])
        const page2 = await store.revocations.read(page1.cursor, 4)
        expect(page2.entries.map((e) => e.tokenId)).toEqual(['tok_4', 'tok_5', 'tok_6', 'tok_7'])
        const page3 = await store.revocations.read(page2.cursor)
        expect(page3.entries.map((e) => e.tokenId)).toEqual(['tok_8', 'tok_9'])
        expect((await store.revocations.read(page3.cursor)).entries).toEqual([])
        expect(page3.cursor).toBe(snapshot.cursor)
      })

      test('prunes expired entries; a cursor stays valid, new entries come after it', async ({ store }) => {
        await store.revocations.add({ tokenId: 'tok_old', expiresAt: at(DAY) })
        await store.revocations.add({ tokenId: 'tok_old', revocationId: 'r', expiresAt: at(DAY) })
        await store.revocations.add({ tokenId: 'tok_new', expiresAt: at(10 * DAY) })
        const cursor = (await store.revocations.read(undefined)).cursor
        expect(await store.revocations.prune(at(DAY - 1))).toBe(0)
        expect(await store.revocations.prune(at(DAY))).toBe(2)
        expect((await store.revocations.all()).map((e) => e.tokenId)).toEqual(['tok_new'])
        expect(await store.revocations.prune(at(10 * DAY))).toBe(1)
        expect(await store.revocations.all()).toEqual([])
        await store.revocations.add({ tokenId: 'tok_later', expiresAt: at(20 * DAY) })
        const next = await store.revocations.read(cursor)
        expect(next.reset).toBeUndefined()
        expect(next.entries.map((e) => e.tokenId)).toEqual(['tok_later'])
      })

      test('a cursor it cannot continue gets a snapshot with reset', async ({ store }) => {
        await store.revocations.add({ tokenId: 'tok_a', expiresAt: at(DAY) })
        const page = await store.revocations.read('999999999')
        expect(page.reset).toBe(true)
        expect(page.entries.map((e) => e.tokenId)).toEqual(['tok_a'])
      })

      test('outlives the key row', async ({ store }) => {
        const uid = await addUser(store)
        const k = await addKey(store, uid)
        await store.transaction(async (tx) => {
          await tx.keys.revoke(k.id, at(1), 'user')
          await tx.revocations.add({ tokenId: k.id, expiresAt: k.expiresAt })
        })
        expect(await store.keys.hardDelete(k.id)).toBe(true)
        expect(await store.revocations.has(k.id)).toBe(true)
      })

      test('watchers hear of commits, from this store and from another', async ({ store, another }) => {
        let heard = 0
        const stop = store.watchRevocations(() => heard++)
        try {
          await store.revocations.add({ tokenId: 'tok_a', expiresAt: at(DAY) })
          await waitUntil(() => heard > 0)
          const before = heard
          const other = await another()
          try {
            await other.revocations.add({ tokenId: 'tok_b', expiresAt: at(DAY) })
          } finally {
            await other.close()
          }
          await waitUntil(() => heard > before, 5000)
        } finally {
          stop()
        }
      })

      // #15 item 4: a rotation's entry is on the feed at once, in force from the grace end
      test('an entry not yet in force is replaced by one that applies sooner; a reader following the cursor sees it', async ({
        store,
      }) => {
        await store.revocations.add({ tokenId: 'tok_before', expiresAt: at(DAY) })
        const beforeCursor = (await store.revocations.read(undefined)).cursor
        const later = await scheduled(store, 'tok_a', 0, 3_600_000)
        expect(later.entry).toEqual({
          tokenId: 'tok_a',
          expiresAt: at(DAY),
          createdAt: at(0),
          effectiveAt: at(3_600_000),
        })
        const seen = await store.revocations.read(beforeCursor)
        expect(seen.entries.map((e) => e.effectiveAt)).toEqual([at(3_600_000)])
        await store.revocations.add({ tokenId: 'tok_between', expiresAt: at(DAY) })
        // sooner, but still later than now: replaces too
        const sooner = await scheduled(store, 'tok_a', 1, 60_000)
        expect(sooner.inserted).toBe(true)
        expect(sooner.entry.effectiveAt).toBe(at(60_000))
        // the reader that saw the scheduled entry gets the replacement after its cursor, in order
        const next = await store.revocations.read(seen.cursor)
        expect(next.reset).toBeUndefined()
        expect(next.entries.map((e) => [e.tokenId, e.effectiveAt])).toEqual([
          ['tok_between', undefined],
          ['tok_a', at(60_000)],
        ])
        // revoked during the grace: at once, and again after the reader's cursor
        const now = await store.revocations.add({ tokenId: 'tok_a', expiresAt: at(DAY), createdAt: at(2) })
        expect(now).toEqual({
          inserted: true,
          entry: { tokenId: 'tok_a', expiresAt: at(DAY), createdAt: at(2) },
        })
        const last = await store.revocations.read(next.cursor)
        expect(last.reset).toBeUndefined()
        expect(last.entries).toEqual([now.entry])
        expect((await store.revocations.read(last.cursor)).entries).toEqual([])
        // one entry per token: the replaced ones are gone
        expect((await store.revocations.all()).map((e) => e.tokenId)).toEqual([
          'tok_before',
          'tok_between',
          'tok_a',
        ])
        expect(await store.revocations.forToken('tok_a')).toEqual([now.entry])
        // a reader still before a replaced entry's place never skips it: it gets a snapshot, as after pruning
        for (const cursor of [beforeCursor, seen.cursor]) {
          const behind = await store.revocations.read(cursor)
          expect(behind.reset).toBe(true)
          expect(behind.entries.map((e) => [e.tokenId, e.effectiveAt])).toEqual([
            ['tok_before', undefined],
            ['tok_between', undefined],
            ['tok_a', undefined],
          ])
        }
      })

      test('an entry in force, or one applying later, is not replaced', async ({ store }) => {
        const first = await scheduled(store, 'tok_a', 0, 3_600_000)
        const cursor = (await store.revocations.read(undefined)).cursor
        const later = await scheduled(store, 'tok_a', 1, 7_200_000)
        expect(later).toEqual({ inserted: false, entry: first.entry })
        // the grace is over: the entry is in force already (the job's revocation at the grace end)
        const atEnd = await store.revocations.add({
          tokenId: 'tok_a',
          expiresAt: at(DAY),
          createdAt: at(3_600_000),
        })
        expect(atEnd).toEqual({ inserted: false, entry: first.entry })
        // an entry in force at once is never replaced by a scheduled one
        await store.revocations.add({ tokenId: 'tok_b', expiresAt: at(DAY), createdAt: at(0) })
        const b = await scheduled(store, 'tok_b', 1, 60_000)
        expect(b.inserted).toBe(false)
        expect(b.entry.effectiveAt).toBeUndefined()
        const page = await store.revocations.read(cursor)
        expect(page.entries.map((e) => e.tokenId)).toEqual(['tok_b'])
      })

      test('effectiveAt is for whole-token entries; an unreadable one means at once', async ({ store }) => {
        const pair = await store.revocations.add({
          tokenId: 'tok_a',
          revocationId: 'rid',
          expiresAt: at(DAY),
          effectiveAt: at(60_000),
        })
        expect(pair.entry.effectiveAt).toBeUndefined()
        const bad = await store.revocations.add({ tokenId: 'tok_b', expiresAt: at(DAY), effectiveAt: 'soon' })
        expect(bad.entry.effectiveAt).toBeUndefined()
      })

      test('watchers hear of a replacement, from this store and from another', async ({ store, another }) => {
        await store.revocations.add({
          tokenId: 'tok_a',
          expiresAt: at(DAY),
          createdAt: at(0),
          effectiveAt: at(DAY / 2),
        })
        let heard = 0
        const stop = store.watchRevocations(() => heard++)
        const other = await another()
        try {
          await other.revocations.add({ tokenId: 'tok_a', expiresAt: at(DAY), createdAt: at(1) })
          await waitUntil(() => heard > 0, 5000)
        } finally {
          stop()
          await other.close()
        }
        expect((await store.revocations.all())[0]?.effectiveAt).toBeUndefined()
      })

      test('a rotation with a grace is on the feed at once; revoking during the grace replaces it', async ({
        store,
      }) => {
        const svc = serviceOver(store)
        const user = await store.users.get(await addUser(store))
        if (user === undefined) throw new Error('no user')
        const who = actorFor(user, meta)
        const root = await mintKey(svc, { user, name: 'root', source: 'register', ttlMs: DAY, who })
        const caller = { claims: {} as never, key: root.key, user, isRoot: true }
        const ci = await mintKey(svc, { user, name: 'ci', source: 'api', ttlMs: DAY, who })
        const cursor = (await store.revocations.read(undefined)).cursor
        const { previous } = await rotateKey(svc, caller, ci.key, 3_600_000, who)
        const rotated = await store.revocations.read(cursor)
        expect(rotated.entries).toHaveLength(1)
        expect(rotated.entries[0]).toMatchObject({ tokenId: ci.key.id, expiresAt: ci.key.expiresAt })
        expect(rotated.entries[0]?.effectiveAt).toBe(previous.revokeAfter)
        await revokeKey(svc, { key: previous, who, event: 'revoked', reason: 'user', protectLast: true })
        const revoked = await store.revocations.read(rotated.cursor)
        expect(revoked.reset).toBeUndefined()
        expect(revoked.entries).toHaveLength(1)
        expect(revoked.entries[0]?.tokenId).toBe(ci.key.id)
        expect(revoked.entries[0]?.effectiveAt).toBeUndefined()
      })

      // #16 item 3: a later entry committing first must not make a reader skip the earlier one
      test('a feed reader never misses an entry, even when a later entry commits first', async ({
        store,
      }) => {
        {
          let cursor = (await store.revocations.read(FEED_START)).cursor
          const seen: string[] = []
          const readAll = async (): Promise<void> => {
            for (;;) {
              const page = await store.revocations.read(cursor)
              seen.push(...page.entries.map((e) => e.tokenId))
              if (page.entries.length === 0 || page.cursor === cursor) break
              cursor = page.cursor
            }
          }
          let release: () => void = () => {}
          const gate = new Promise<void>((resolve) => {
            release = resolve
          })
          let added: () => void = () => {}
          const addedP = new Promise<void>((resolve) => {
            added = resolve
          })
          // A: takes its place first, commits last
          const slow = store.transaction(async (tx) => {
            await tx.revocations.add({ tokenId: 'tok_first', expiresAt: at(DAY) })
            added()
            await gate
          })
          await addedP
          // B: may commit while A is open (engines with concurrent writers); SQLite queues it
          const fast = store.revocations.add({ tokenId: 'tok_second', expiresAt: at(DAY) })
          await Promise.race([fast, sleep(200)])
          await readAll()
          release()
          await Promise.all([slow, fast])
          await readAll()
          expect(seen.sort()).toEqual(['tok_first', 'tok_second'])
        }
      })
    })

    describe('OAuth authorization server (#19)', () => oauthContract(test))

    describe('invariants under concurrency (#16 item 3)', () => {
      const registered = async (
        svc: Service,
      ): Promise<{ user: Awaited<ReturnType<Store['users']['get']>> }> => {
        const uid = await addUser(svc.store)
        return { user: await svc.store.users.get(uid) }
      }

      test('two concurrent revocations of a user’s last two keys: one succeeds, one last_key_protected', async ({
        store,
      }) => {
        const svc = serviceOver(store)
        for (let round = 0; round < 5; round++) {
          const { user } = await registered(svc)
          if (user === undefined) throw new Error('no user')
          const who = actorFor(user, meta)
          const a = await mintKey(svc, { user, name: 'a', source: 'api', ttlMs: DAY, who })
          const b = await mintKey(svc, { user, name: 'b', source: 'api', ttlMs: DAY, who })
          const results = await Promise.allSettled(
            [a, b].map((m) =>
              revokeKey(svc, { key: m.key, who, event: 'revoked', reason: 'user', protectLast: true }),
            ),
          )
          expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
          const failed = results.find((r) => r.status === 'rejected')
          expect(((failed as PromiseRejectedResult).reason as CrumbError).code).toBe('last_key_protected')
          expect(await store.keys.countActive(user.id, new Date())).toBe(1)
        }
      })

      test('N concurrent logins for one device name leave exactly one active key', async ({ store }) => {
        const svc = serviceOver(store)
        const { user } = await registered(svc)
        if (user === undefined) throw new Error('no user')
        const who = actorFor(user, meta)
        const minted = await Promise.all(
          Array.from({ length: 8 }, () =>
            mintKey(svc, {
              user,
              name: 'CLI login on laptop',
              source: 'cli-login',
              ttlMs: DAY,
              replaceSameName: true,
              who,
            }),
          ),
        )
        expect(minted).toHaveLength(8)
        const active = (await store.keys.list(user.id)).filter((k) => k.status === 'active')
        expect(active).toHaveLength(1)
      })

      test('N concurrent creations past the limit: exactly the limit succeed', async ({ store }) => {
        const svc = serviceOver(store, { keyCreateLimit: 5 })
        const { user } = await registered(svc)
        if (user === undefined) throw new Error('no user')
        const root = await mintKey(svc, {
          user,
          name: 'root',
          source: 'register',
          ttlMs: DAY,
          who: actorFor(user, meta),
        })
        const caller = { claims: {} as never, key: root.key, user, isRoot: true }
        const results = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) =>
            createKey(svc, caller, { name: `k${i}`, caveats: [], ttlMs: DAY }, actorFor(user, meta)),
          ),
        )
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
        for (const r of results.filter((r) => r.status === 'rejected')) {
          expect(((r as PromiseRejectedResult).reason as CrumbError).code).toBe('rate_limited')
        }
      })

      test('a rotation is consumed once', async ({ store }) => {
        const svc = serviceOver(store)
        const { user } = await registered(svc)
        if (user === undefined) throw new Error('no user')
        const who = actorFor(user, meta)
        const root = await mintKey(svc, { user, name: 'root', source: 'register', ttlMs: DAY, who })
        const caller = { claims: {} as never, key: root.key, user, isRoot: true }
        const ci = await mintKey(svc, { user, name: 'ci', source: 'api', ttlMs: DAY, who })
        for (const grace of [0, 3_600_000]) {
          const target: MintedKey =
            grace === 0 ? ci : await mintKey(svc, { user, name: 'ci2', source: 'api', ttlMs: DAY, who })
          const results = await Promise.allSettled(
            Array.from({ length: 4 }, () => rotateKey(svc, caller, target.key, grace, who)),
          )
          expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
          for (const r of results.filter((r) => r.status === 'rejected')) {
            expect(((r as PromiseRejectedResult).reason as CrumbError).code).toBe('conflict')
          }
        }
      })

      test('a device code is consumed once', async ({ store }) => {
        const uid = await addUser(store)
        await store.deviceCodes.create({
          deviceCodeHash: 'h1',
          userCode: 'BCDF-GHJK',
          deviceName: 'laptop',
          createdAt: at(0),
          expiresAt: at(DAY),
          interval: 5,
        })
        await store.deviceCodes.approve('BCDF-GHJK', uid, at(1))
        const keys = await Promise.all(
          Array.from({ length: 6 }, (_, i) => addKey(store, uid, { id: `tok_dc${i}` })),
        )
        const consumed = await Promise.all(keys.map((k) => store.deviceCodes.consume('h1', k.id, at(2))))
        expect(consumed.filter(Boolean)).toHaveLength(1)
      })
    })
  })
}

/** Adds a whole-token entry made at `createdAt`, in force from `effectiveAt` (ms after T0). */
function scheduled(
  store: Store,
  tokenId: string,
  createdAt: number,
  effectiveAt: number,
): ReturnType<Store['revocations']['add']> {
  return store.revocations.add({
    tokenId,
    expiresAt: at(DAY),
    createdAt: at(createdAt),
    effectiveAt: at(effectiveAt),
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function waitUntil(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}
