import { describe, expect, it } from 'vitest'
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../../src/store/index.js'
import { addKey, addUser, at, useTempStore } from './helpers.js'

const t = useTempStore()

describe('audit log', () => {
  const newest = async (uid: string) => {
    const e = (await t.store.audit.list(uid, { limit: 1 })).events[0]
    if (e === undefined) throw new Error('no audit event')
    return e
  }

  it('appends events, read back with ids and normalised fields', async () => {
    const uid = await addUser(t.store)
    const input = {
      at: '2026-01-01T00:00:00Z',
      event: 'created',
      userId: uid,
      keyId: 'tok_1',
      actor: 'tok_0',
      ip: '10.0.0.1',
      userAgent: 'crumb-cli/0.1',
      detail: { name: 'laptop' },
    } as const
    await t.store.audit.append(input)
    const e = await newest(uid)
    expect(e).toEqual({ ...input, id: expect.any(Number), at: '2026-01-01T00:00:00.000Z' })
    expect(await t.store.audit.get(e.id)).toEqual(e)
    await t.store.audit.append({ event: 'login', userId: uid, actor: uid })
    const minimal = await newest(uid)
    expect(minimal).toMatchObject({ keyId: null, ip: null, userAgent: null, detail: null })
    expect(Date.parse(minimal.at)).not.toBeNaN()
  })

  it('accepts every documented event and refuses others', async () => {
    for (const event of AUDIT_EVENT_TYPES) await t.store.audit.append({ event, actor: 'system' })
    await expect(
      t.store.audit.append({ event: 'exploded' as AuditEventType, actor: 'system' }),
    ).rejects.toThrow(/CHECK/)
  })

  it('refuses UPDATE and DELETE', async () => {
    const uid = await addUser(t.store)
    await t.store.audit.append({ event: 'created', userId: uid, keyId: 'tok_1', actor: uid })
    const e = await newest(uid)
    expect(() => t.db.prepare("UPDATE audit_events SET actor = 'mallory' WHERE id = ?").run(e.id)).toThrow(
      /audit log is append-only/,
    )
    expect(() => t.db.prepare('DELETE FROM audit_events WHERE id = ?').run(e.id)).toThrow(
      /audit log is append-only/,
    )
    expect(() => t.db.prepare('DELETE FROM audit_events').run()).toThrow(/append-only/)
    expect(await t.store.audit.get(e.id)).toEqual(e)
  })

  it('survives the hard delete of its key', async () => {
    const uid = await addUser(t.store)
    const k = await addKey(t.store, uid)
    await t.store.audit.append({ event: 'created', userId: uid, keyId: k.id, actor: uid })
    await t.store.keys.revoke(k.id, at(1), 'user')
    await t.store.audit.append({ event: 'revoked', userId: uid, keyId: k.id, actor: uid })
    expect(await t.store.keys.hardDelete(k.id)).toBe(true)
    await t.store.audit.append({ event: 'hard_deleted', userId: uid, keyId: k.id, actor: uid })
    expect((await t.store.audit.list(uid, { keyId: k.id })).events.map((e) => e.event)).toEqual([
      'hard_deleted',
      'revoked',
      'created',
    ])
  })

  it('lists a user’s events newest first, paginated by cursor, optionally for one key', async () => {
    const uid = await addUser(t.store)
    const other = await addUser(t.store)
    const ids: number[] = []
    for (let i = 0; i < 7; i++) {
      await t.store.audit.append({ event: 'renamed', userId: uid, keyId: `tok_${i % 2}`, actor: uid })
      ids.push((await newest(uid)).id)
      await t.store.audit.append({ event: 'renamed', userId: other, keyId: `tok_${i % 2}`, actor: other })
    }
    const newestFirst = [...ids].reverse()

    const p1 = await t.store.audit.list(uid, { limit: 3 })
    expect(p1.events.map((e) => e.id)).toEqual(newestFirst.slice(0, 3))
    expect(p1.nextCursor).toBe(newestFirst[2])
    const p2 = await t.store.audit.list(uid, { limit: 3, cursor: p1.nextCursor ?? 0 })
    expect(p2.events.map((e) => e.id)).toEqual(newestFirst.slice(3, 6))
    const p3 = await t.store.audit.list(uid, { limit: 3, cursor: p2.nextCursor ?? 0 })
    expect(p3.events.map((e) => e.id)).toEqual(newestFirst.slice(6))
    expect(p3.nextCursor).toBeNull()

    // exactly a full last page: no phantom next page
    expect((await t.store.audit.list(uid, { limit: 7 })).nextCursor).toBeNull()

    const forKey = await t.store.audit.list(uid, { keyId: 'tok_1' })
    expect(forKey.events.map((e) => e.id)).toEqual(newestFirst.filter((_, i) => i % 2 === 1))
    expect(forKey.events.every((e) => e.userId === uid && e.keyId === 'tok_1')).toBe(true)
    expect(await t.store.audit.list('usr_nobody')).toEqual({ events: [], nextCursor: null })
  })
})
