import { describe, expect, it } from 'vitest'
import { addKey, addUser, at, DAY, useTempStore } from './helpers.js'

const t = useTempStore()

describe('revocations', () => {
  it('adds whole-token and (token, revocation id) entries with increasing seqs', () => {
    const a = t.store.revocations.add({ tokenId: 'tok_a', expiresAt: at(DAY), createdAt: at(0) })
    const b = t.store.revocations.add({ tokenId: 'tok_a', revocationId: 'rid1', expiresAt: at(DAY) })
    expect(a.inserted).toBe(true)
    expect(b.inserted).toBe(true)
    expect(b.seq).toBeGreaterThan(a.seq)
    expect(a.entry).toEqual({ seq: a.seq, tokenId: 'tok_a', expiresAt: at(DAY), createdAt: at(0) })
    expect(a.entry).not.toHaveProperty('revocationId')
    expect(b.entry.revocationId).toBe('rid1')
    expect(t.store.revocations.has('tok_a')).toBe(true)
    expect(t.store.revocations.has('tok_a', 'rid1')).toBe(true)
    expect(t.store.revocations.has('tok_a', 'rid2')).toBe(false)
    expect(t.store.revocations.has('tok_b')).toBe(false)
    expect(t.store.revocations.forToken('tok_a').map((e) => e.seq)).toEqual([a.seq, b.seq])
  })

  it('is idempotent, including for whole-token entries (no NULL-distinct duplicates)', () => {
    const first = t.store.revocations.add({ tokenId: 'tok_a', expiresAt: at(DAY) })
    const again = t.store.revocations.add({ tokenId: 'tok_a', expiresAt: at(2 * DAY) })
    const viaNull = t.store.revocations.add({ tokenId: 'tok_a', revocationId: null, expiresAt: at(DAY) })
    expect(again).toEqual({ seq: first.seq, inserted: false, entry: first.entry })
    expect(viaNull.inserted).toBe(false)
    const pair = t.store.revocations.add({ tokenId: 'tok_a', revocationId: 'r', expiresAt: at(DAY) })
    expect(
      t.store.revocations.add({ tokenId: 'tok_a', revocationId: 'r', expiresAt: at(DAY) }),
    ).toMatchObject({
      seq: pair.seq,
      inserted: false,
    })
    expect(t.store.revocations.all()).toHaveLength(2)
    expect(t.store.revocations.latestSeq()).toBe(pair.seq)
  })

  it('feeds entries after a cursor, in seq order, a page at a time', () => {
    expect(t.store.revocations.latestSeq()).toBe(0)
    expect(t.store.revocations.since(0)).toEqual([])
    const seqs: number[] = []
    for (let i = 0; i < 10; i++)
      seqs.push(t.store.revocations.add({ tokenId: `tok_${i}`, expiresAt: at(DAY) }).seq)
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
    const page1 = t.store.revocations.since(0, 4)
    expect(page1.map((e) => e.tokenId)).toEqual(['tok_0', 'tok_1', 'tok_2', 'tok_3'])
    const page2 = t.store.revocations.since(page1.at(-1)?.seq ?? 0, 4)
    expect(page2.map((e) => e.tokenId)).toEqual(['tok_4', 'tok_5', 'tok_6', 'tok_7'])
    expect(t.store.revocations.since(page2.at(-1)?.seq ?? 0).map((e) => e.tokenId)).toEqual([
      'tok_8',
      'tok_9',
    ])
    expect(t.store.revocations.since(t.store.revocations.latestSeq())).toEqual([])
    expect(t.store.revocations.all().map((e) => e.seq)).toEqual(seqs)
  })

  it('prunes entries whose root token has expired; seqs are never reused', () => {
    t.store.revocations.add({ tokenId: 'tok_old', expiresAt: at(DAY) })
    t.store.revocations.add({ tokenId: 'tok_old', revocationId: 'r', expiresAt: at(DAY) })
    const keep = t.store.revocations.add({ tokenId: 'tok_new', expiresAt: at(10 * DAY) })
    expect(t.store.revocations.prune(at(DAY - 1))).toBe(0)
    expect(t.store.revocations.prune(at(DAY))).toBe(2)
    expect(t.store.revocations.all().map((e) => e.tokenId)).toEqual(['tok_new'])
    expect(t.store.revocations.prune(at(10 * DAY))).toBe(1)
    expect(t.store.revocations.all()).toEqual([])
    // the cursor survives an empty table: verifiers keep their place, new entries come after it
    expect(t.store.revocations.latestSeq()).toBe(keep.seq)
    const next = t.store.revocations.add({ tokenId: 'tok_later', expiresAt: at(20 * DAY) })
    expect(next.seq).toBeGreaterThan(keep.seq)
    expect(t.store.revocations.since(keep.seq).map((e) => e.tokenId)).toEqual(['tok_later'])
  })

  it('outlives the key row', () => {
    const uid = addUser(t.store)
    const k = addKey(t.store, uid)
    t.store.transaction(() => {
      t.store.keys.revoke(k.id, at(1), 'user')
      t.store.revocations.add({ tokenId: k.id, expiresAt: k.expiresAt })
    })
    expect(t.store.keys.hardDelete(k.id)).toBe(true)
    expect(t.store.revocations.has(k.id)).toBe(true)
  })
})
