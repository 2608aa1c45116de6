import { describe, expect, it } from 'vitest'
import { createStore, openDatabase } from '../../src/store/index.js'
import { addKey, addUser, at, useTempStore } from './helpers.js'

const t = useTempStore()

describe('store', () => {
  it('commits a transaction and returns its value', () => {
    const uid = addUser(t.store)
    const k = addKey(t.store, uid)
    const result = t.store.transaction(() => {
      t.store.keys.revoke(k.id, at(1), 'user')
      t.store.revocations.add({ tokenId: k.id, expiresAt: k.expiresAt })
      return t.store.audit.append({ event: 'revoked', userId: uid, keyId: k.id, actor: uid }).id
    })
    expect(typeof result).toBe('number')
    expect(t.store.keys.get(k.id)?.status).toBe('revoked')
    expect(t.store.revocations.has(k.id)).toBe(true)
  })

  it('rolls the whole transaction back when it throws (e.g. last-key protection)', () => {
    const uid = addUser(t.store)
    const k = addKey(t.store, uid)
    expect(() =>
      t.store.transaction(() => {
        t.store.keys.revoke(k.id, at(1), 'user')
        t.store.revocations.add({ tokenId: k.id, expiresAt: k.expiresAt })
        t.store.audit.append({ event: 'revoked', userId: uid, keyId: k.id, actor: uid })
        if (t.store.keys.countActive(uid, at(1)) === 0) throw new Error('last_key_protected')
      }),
    ).toThrow('last_key_protected')
    expect(t.store.keys.get(k.id, at(2))?.status).toBe('active')
    expect(t.store.revocations.all()).toEqual([])
    expect(t.store.audit.list(uid).events).toEqual([])
  })

  it('nests transactions as savepoints', () => {
    const uid = addUser(t.store)
    t.store.transaction(() => {
      addKey(t.store, uid, { id: 'tok_outer' })
      expect(() =>
        t.store.transaction(() => {
          addKey(t.store, uid, { id: 'tok_inner' })
          throw new Error('inner')
        }),
      ).toThrow('inner')
    })
    expect(t.store.keys.get('tok_outer')).toBeDefined()
    expect(t.store.keys.get('tok_inner')).toBeUndefined()
  })

  it('a second connection (another process) sees committed writes', () => {
    const uid = addUser(t.store)
    const k = addKey(t.store, uid)
    const other = createStore(openDatabase(t.path))
    try {
      expect(other.keys.get(k.id)?.id).toBe(k.id)
      other.revocations.add({ tokenId: k.id, expiresAt: k.expiresAt })
      expect(t.store.revocations.has(k.id)).toBe(true)
    } finally {
      other.close()
    }
  })

  it('passes integrity_check after a mixed workload', () => {
    const uid = addUser(t.store)
    for (let i = 0; i < 20; i++) {
      const k = addKey(t.store, uid)
      t.store.audit.append({ event: 'created', userId: uid, keyId: k.id, actor: uid })
      if (i % 3 === 0) {
        t.store.keys.revoke(k.id, at(i), 'user')
        t.store.revocations.add({ tokenId: k.id, expiresAt: k.expiresAt })
      }
      if (i % 6 === 0) t.store.keys.hardDelete(k.id)
    }
    t.store.revocations.prune(at(0))
    expect(t.store.db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(t.store.db.pragma('foreign_key_check')).toEqual([])
  })
})
