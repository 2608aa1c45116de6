import { describe, expect, it } from 'vitest'
import { isCrumbError } from '../../src/errors.js'
import { T0, useTempStore } from './helpers.js'

const t = useTempStore()

describe('users', () => {
  it('inserts and finds by id and by email, case-insensitively', async () => {
    const u = await t.store.users.insert({
      id: 'usr_1',
      email: 'Ada@Example.com',
      passwordHash: 'scrypt$abc',
      createdAt: '2026-01-01T00:00:00Z',
    })
    expect(u).toEqual({
      id: 'usr_1',
      email: 'Ada@Example.com',
      passwordHash: 'scrypt$abc',
      createdAt: '2026-01-01T00:00:00.000Z',
    })
    expect(await t.store.users.get('usr_1')).toEqual(u)
    expect(await t.store.users.getByEmail('ada@example.COM')).toEqual(u)
    expect(await t.store.users.get('usr_2')).toBeUndefined()
  })

  it('refuses a second account for the same email with a conflict error', async () => {
    await t.store.users.insert({ id: 'usr_1', email: 'a@example.com', passwordHash: 'h', createdAt: T0 })
    let err: unknown
    try {
      await t.store.users.insert({ id: 'usr_2', email: 'A@EXAMPLE.COM', passwordHash: 'h', createdAt: T0 })
    } catch (e) {
      err = e
    }
    expect(isCrumbError(err) && err.code).toBe('conflict')
  })
})
