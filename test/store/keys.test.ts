import { describe, expect, it } from 'vitest'
import { keyStatus } from '../../src/store/index.js'
import { addKey, addUser, at, DAY, T0, useTempStore } from './helpers.js'

const t = useTempStore()

describe('keys', () => {
  it('stores metadata and returns it, times normalised to ISO 8601 UTC', async () => {
    const uid = await addUser(t.store)
    const input = {
      id: 'tok_abc',
      userId: uid,
      name: 'CLI login on laptop',
      hint: 'crumb_…b33f',
      source: 'cli-login',
      kid: 'k1',
      caveats: ['org = acme', 'ops = read'],
      createdAt: '2026-01-01T00:00:00Z',
      expiresAt: '2026-04-01T00:00:00+00:00',
    } as const
    const k = await t.store.keys.insert(input)
    expect(k.createdAt).toBe('2026-01-01T00:00:00.000Z')
    expect(k.expiresAt).toBe('2026-04-01T00:00:00.000Z')
    expect(await t.store.keys.get('tok_abc', at(1))).toEqual({
      ...input,
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-04-01T00:00:00.000Z',
      lastUsedAt: null,
      lastUsedIp: null,
      lastUsedUserAgent: null,
      revokedAt: null,
      revokedReason: null,
      replacedBy: null,
      revokeAfter: null,
      status: 'active',
    })
    expect(await t.store.keys.get('tok_missing')).toBeUndefined()
  })

  it('refuses an unknown source, a key for a missing user, and a duplicate id', async () => {
    const uid = await addUser(t.store)
    // @ts-expect-error: not a source
    await expect(addKey(t.store, uid, { source: 'magic' })).rejects.toThrow(/CHECK/)
    await expect(addKey(t.store, 'usr_nobody')).rejects.toThrow(/FOREIGN KEY/)
    await addKey(t.store, uid, { id: 'tok_dup' })
    await expect(addKey(t.store, uid, { id: 'tok_dup' })).rejects.toThrow(/UNIQUE|PRIMARY/)
  })

  it('derives status: revoked, else expired when expires_at <= now, else active', async () => {
    const uid = await addUser(t.store)
    const k = await addKey(t.store, uid, { expiresAt: at(DAY) })
    expect((await t.store.keys.get(k.id, at(DAY - 1)))?.status).toBe('active')
    expect((await t.store.keys.get(k.id, at(DAY)))?.status).toBe('expired')
    expect((await t.store.keys.get(k.id, at(2 * DAY)))?.status).toBe('expired')
    await t.store.keys.revoke(k.id, at(10), 'user')
    expect((await t.store.keys.get(k.id, at(20)))?.status).toBe('revoked')
    expect((await t.store.keys.get(k.id, at(2 * DAY)))?.status).toBe('revoked')
    expect(keyStatus({ revokedAt: null, expiresAt: at(DAY) }, new Date(T0.getTime() + DAY + 1))).toBe(
      'expired',
    )
    expect(keyStatus({ revokedAt: null, expiresAt: at(DAY) }, at(0))).toBe('active')
  })

  it('getForUser only returns the owner’s keys', async () => {
    const a = await addUser(t.store)
    const b = await addUser(t.store)
    const k = await addKey(t.store, a)
    expect((await t.store.keys.getForUser(a, k.id))?.id).toBe(k.id)
    expect(await t.store.keys.getForUser(b, k.id)).toBeUndefined()
  })

  it('lists newest first, hiding revoked keys and sessions unless asked', async () => {
    const uid = await addUser(t.store)
    const other = await addUser(t.store)
    const k1 = await addKey(t.store, uid, { createdAt: at(1) })
    const revoked = await addKey(t.store, uid, { createdAt: at(2) })
    const session = await addKey(t.store, uid, { createdAt: at(3), source: 'dashboard-session' })
    const expired = await addKey(t.store, uid, { createdAt: at(4), expiresAt: at(5) })
    await addKey(t.store, other)
    await t.store.keys.revoke(revoked.id, at(6), 'user')
    const now = at(10)

    const ids = async (opts: Parameters<typeof t.store.keys.list>[1]) =>
      (await t.store.keys.list(uid, opts)).map((k) => k.id)
    expect(await ids({ now })).toEqual([expired.id, k1.id])
    expect((await t.store.keys.list(uid, { now })).map((k) => k.status)).toEqual(['expired', 'active'])
    expect(await ids({ now, includeRevoked: true })).toEqual([expired.id, revoked.id, k1.id])
    expect(await ids({ now, includeSessions: true })).toEqual([expired.id, session.id, k1.id])
    expect(await ids({ now, includeRevoked: true, includeSessions: true })).toEqual([
      expired.id,
      session.id,
      revoked.id,
      k1.id,
    ])
    expect((await t.store.keys.listSessions(uid, { now })).map((k) => k.id)).toEqual([session.id])
    await t.store.keys.revoke(session.id, at(7), 'session_signout')
    expect(await t.store.keys.listSessions(uid, { now })).toEqual([])
    expect((await t.store.keys.listSessions(uid, { now, includeRevoked: true })).map((k) => k.id)).toEqual([
      session.id,
    ])
  })

  it('finds the newest active key by name (one key per device)', async () => {
    const uid = await addUser(t.store)
    const name = 'CLI login on laptop'
    expect(await t.store.keys.findActiveByName(uid, name, at(0))).toBeUndefined()
    const old = await addKey(t.store, uid, { name, createdAt: at(1) })
    const newer = await addKey(t.store, uid, { name, createdAt: at(2) })
    expect((await t.store.keys.findActiveByName(uid, name, at(3)))?.id).toBe(newer.id)
    await t.store.keys.revoke(newer.id, at(3), 'user')
    expect((await t.store.keys.findActiveByName(uid, name, at(4)))?.id).toBe(old.id)
    expect(await t.store.keys.findActiveByName(uid, name, at(91 * DAY))).toBeUndefined() // expired
    expect(await t.store.keys.findActiveByName(await addUser(t.store), name, at(4))).toBeUndefined()
  })

  it('renames', async () => {
    const uid = await addUser(t.store)
    const k = await addKey(t.store, uid)
    expect(await t.store.keys.rename(k.id, 'deploy (CI)')).toBe(true)
    expect((await t.store.keys.get(k.id))?.name).toBe('deploy (CI)')
    expect(await t.store.keys.rename('tok_missing', 'x')).toBe(false)
  })

  it('revokes once: a second revoke is a no-op that keeps the first time and reason', async () => {
    const uid = await addUser(t.store)
    const k = await addKey(t.store, uid)
    const next = await addKey(t.store, uid)
    expect(await t.store.keys.revoke(k.id, at(5), 'replaced', next.id)).toBe(true)
    expect(await t.store.keys.revoke(k.id, at(9), 'user')).toBe(false)
    const got = await t.store.keys.get(k.id)
    expect(got?.revokedAt).toBe(at(5))
    expect(got?.revokedReason).toBe('replaced')
    expect(got?.replacedBy).toBe(next.id)
    expect(await t.store.keys.revoke('tok_missing', at(9), 'user')).toBe(false)
  })

  it('rotation: markReplaced schedules revocation after the grace period', async () => {
    const uid = await addUser(t.store)
    const old = await addKey(t.store, uid)
    const fresh = await addKey(t.store, uid)
    expect(await t.store.keys.markReplaced(old.id, fresh.id, at(3_600_000))).toBe(true)
    const got = await t.store.keys.get(old.id, at(1))
    expect(got?.status).toBe('active')
    expect(got?.replacedBy).toBe(fresh.id)
    expect(got?.revokeAfter).toBe(at(3_600_000))
    expect(await t.store.keys.dueForRevocation(at(3_599_999))).toEqual([])
    expect((await t.store.keys.dueForRevocation(at(3_600_000))).map((k) => k.id)).toEqual([old.id])
    await t.store.keys.revoke(old.id, at(3_600_000), 'rotated')
    expect(await t.store.keys.dueForRevocation(at(3_600_001))).toEqual([])
    expect(await t.store.keys.markReplaced(old.id, fresh.id, at(1))).toBe(false)
  })

  it('counts active keys, optionally of some sources only', async () => {
    const uid = await addUser(t.store)
    const now = at(10)
    expect(await t.store.keys.countActive(uid, now)).toBe(0)
    const a = await addKey(t.store, uid)
    await addKey(t.store, uid, { source: 'dashboard-session' })
    await addKey(t.store, uid, { expiresAt: at(5) }) // expired
    await addKey(t.store, await addUser(t.store)) // someone else's
    expect(await t.store.keys.countActive(uid, now)).toBe(2)
    expect(await t.store.keys.countActive(uid, now, { sources: ['api', 'register'] })).toBe(1)
    expect(await t.store.keys.countActive(uid, now, { sources: ['dashboard-session'] })).toBe(1)
    expect(await t.store.keys.countActive(uid, now, { sources: [] })).toBe(0)
    await t.store.keys.revoke(a.id, now, 'user')
    expect(await t.store.keys.countActive(uid, now, { sources: ['api', 'register'] })).toBe(0)
  })

  it('recordUsage only moves last use forward and ignores unknown keys', async () => {
    const uid = await addUser(t.store)
    const k = await addKey(t.store, uid)
    const other = await addKey(t.store, uid)
    expect(
      await t.store.keys.recordUsage([
        { tokenId: k.id, at: at(100), ip: '10.0.0.1', userAgent: 'curl/8' },
        { tokenId: k.id, at: at(50), ip: '10.0.0.2', userAgent: 'old' }, // older: ignored
        { tokenId: 'tok_unknown', at: at(100), ip: '10.0.0.3' },
        { tokenId: other.id, at: '2026-01-01T00:00:01Z' },
      ]),
    ).toBe(2)
    let got = await t.store.keys.get(k.id)
    expect([got?.lastUsedAt, got?.lastUsedIp, got?.lastUsedUserAgent]).toEqual([
      at(100),
      '10.0.0.1',
      'curl/8',
    ])
    expect((await t.store.keys.get(other.id))?.lastUsedAt).toBe('2026-01-01T00:00:01.000Z')

    expect(await t.store.keys.recordUsage([{ tokenId: k.id, at: at(100), ip: '10.9.9.9' }])).toBe(0) // same time
    expect(await t.store.keys.recordUsage([{ tokenId: k.id, at: at(200), ip: '10.0.0.4' }])).toBe(1)
    got = await t.store.keys.get(k.id)
    expect([got?.lastUsedAt, got?.lastUsedIp, got?.lastUsedUserAgent]).toEqual([at(200), '10.0.0.4', null])
    expect(await t.store.keys.recordUsage([])).toBe(0)
  })

  it('recordUsage rejects an unparseable time without applying any of the batch', async () => {
    const uid = await addUser(t.store)
    const k = await addKey(t.store, uid)
    await expect(
      t.store.keys.recordUsage([
        { tokenId: k.id, at: at(100) },
        { tokenId: k.id, at: 'not a time' },
      ]),
    ).rejects.toThrow(RangeError)
    expect((await t.store.keys.get(k.id))?.lastUsedAt).toBeNull()
  })

  it('finds keys unused since a cutoff (last use, else creation), active ones only', async () => {
    const uid = await addUser(t.store)
    const neverUsed = await addKey(t.store, uid, { createdAt: at(0), expiresAt: at(365 * DAY) })
    const usedLongAgo = await addKey(t.store, uid, { createdAt: at(0), expiresAt: at(365 * DAY) })
    const usedRecently = await addKey(t.store, uid, { createdAt: at(0), expiresAt: at(365 * DAY) })
    const createdRecently = await addKey(t.store, uid, { createdAt: at(95 * DAY), expiresAt: at(365 * DAY) })
    const revoked = await addKey(t.store, uid, { createdAt: at(0), expiresAt: at(365 * DAY) })
    await addKey(t.store, uid, { createdAt: at(0), expiresAt: at(50 * DAY) }) // expired
    await t.store.keys.recordUsage([
      { tokenId: usedLongAgo.id, at: at(5 * DAY) },
      { tokenId: usedRecently.id, at: at(99 * DAY) },
    ])
    await t.store.keys.revoke(revoked.id, at(DAY), 'user')
    const now = at(100 * DAY)
    const cutoff = at(10 * DAY)
    expect((await t.store.keys.unusedSince(cutoff, now)).map((k) => k.id).sort()).toEqual(
      [neverUsed.id, usedLongAgo.id].sort(),
    )
    expect((await t.store.keys.unusedSince(cutoff, now)).map((k) => k.id)).not.toContain(createdRecently.id)
  })

  it('finds keys revoked before a cutoff, and unrevoked keys expired before one', async () => {
    const uid = await addUser(t.store)
    const early = await addKey(t.store, uid)
    const late = await addKey(t.store, uid)
    const expired = await addKey(t.store, uid, { expiresAt: at(DAY) })
    await addKey(t.store, uid)
    await t.store.keys.revoke(early.id, at(DAY), 'user')
    await t.store.keys.revoke(late.id, at(40 * DAY), 'user')
    expect((await t.store.keys.revokedBefore(at(31 * DAY))).map((k) => k.id)).toEqual([early.id])
    expect((await t.store.keys.revokedBefore(at(41 * DAY))).map((k) => k.id)).toEqual([early.id, late.id])
    expect((await t.store.keys.expiredBefore(at(2 * DAY))).map((k) => k.id)).toEqual([expired.id])
  })

  it('finds the n-th newest creation since a time, by source (a creation limit and its Retry-After)', async () => {
    const uid = await addUser(t.store)
    for (let i = 0; i < 5; i++) await addKey(t.store, uid, { createdAt: at(i * 1000) })
    await addKey(t.store, uid, { createdAt: at(4500), source: 'cli-login' })
    const nth = (n: number, options?: { sources: ['api'] | ['register'] }, since = at(2000)) =>
      t.store.keys.nthNewestCreationSince(uid, since, n, options)
    expect(await nth(1)).toBe(at(4500))
    expect(await nth(4)).toBe(at(2000))
    expect(await nth(5)).toBeUndefined() // only 4 since at(2000): a limit of 5 is not reached
    expect(await nth(2, { sources: ['api'] })).toBe(at(3000))
    expect(await nth(3, { sources: ['api'] })).toBe(at(2000))
    expect(await nth(4, { sources: ['api'] })).toBeUndefined()
    expect(await nth(1, { sources: ['register'] }, at(0))).toBeUndefined()
  })

  it('hard delete removes the row and clears references to it', async () => {
    const uid = await addUser(t.store)
    const old = await addKey(t.store, uid)
    const fresh = await addKey(t.store, uid)
    await t.store.keys.revoke(old.id, at(1), 'replaced', fresh.id)
    expect(await t.store.keys.hardDelete(fresh.id)).toBe(true)
    expect(await t.store.keys.get(fresh.id)).toBeUndefined()
    expect((await t.store.keys.get(old.id))?.replacedBy).toBeNull()
    expect(await t.store.keys.hardDelete(fresh.id)).toBe(false)
  })

  it('leaves the database consistent', async () => {
    const uid = await addUser(t.store)
    for (let i = 0; i < 50; i++) await addKey(t.store, uid, { caveats: [`app = a${i}`] })
    expect(t.db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(t.db.pragma('foreign_key_check')).toEqual([])
  })
})
