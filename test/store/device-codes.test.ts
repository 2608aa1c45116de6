import { describe, expect, it } from 'vitest'
import { hashDeviceCode, type NewDeviceCode } from '../../src/store/index.js'
import { addKey, addUser, at, useTempStore } from './helpers.js'

const t = useTempStore()

const MIN = 60_000
const code = 'GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS'
const hash = hashDeviceCode(code)
function newCode(overrides: Partial<NewDeviceCode> = {}): NewDeviceCode {
  return {
    deviceCodeHash: hash,
    userCode: 'WDJB-MJHT',
    deviceName: 'laptop-7',
    clientIp: '203.0.113.7',
    clientUserAgent: 'crumb-cli/0.1',
    createdAt: at(0),
    expiresAt: at(15 * MIN),
    interval: 5,
    ...overrides,
  }
}

describe('device codes', () => {
  it('stores the SHA-256 of the device code, never the code', async () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    const rec = await t.store.deviceCodes.create(newCode())
    expect(rec).toEqual({
      ...newCode(),
      lastPolledAt: null,
      status: 'pending',
      userId: null,
      decidedAt: null,
      keyId: null,
    })
    const dump = JSON.stringify(t.db.prepare('SELECT * FROM device_codes').all())
    expect(dump).not.toContain(code)
    expect(await t.store.deviceCodes.findByDeviceCodeHash(hash)).toEqual(rec)
    expect(await t.store.deviceCodes.findByUserCode('wdjb-mjht')).toEqual(rec) // case-insensitive
    expect(await t.store.deviceCodes.findByUserCode('AAAA-BBBB')).toBeUndefined()
  })

  it('returns undefined on a user code collision so the caller can retry', async () => {
    await t.store.deviceCodes.create(newCode())
    expect(
      await t.store.deviceCodes.create(newCode({ deviceCodeHash: hashDeviceCode('other') })),
    ).toBeUndefined()
    expect(await t.store.deviceCodes.create(newCode({ userCode: 'ZZZZ-ZZZZ' }))).toBeUndefined() // same hash
  })

  it('runs the lifecycle pending → approved → consumed, once', async () => {
    const uid = await addUser(t.store)
    await t.store.deviceCodes.create(newCode())

    expect(await t.store.deviceCodes.markPolled(hash, at(5000))).toBe(true)
    expect(await t.store.deviceCodes.markPolled(hash, at(6000), 10)).toBe(true) // slow_down
    let rec = await t.store.deviceCodes.findByDeviceCodeHash(hash)
    expect([rec?.lastPolledAt, rec?.interval, rec?.status]).toEqual([at(6000), 10, 'pending'])

    // cannot be consumed before approval
    const early = await addKey(t.store, uid, { source: 'cli-login' })
    expect(await t.store.deviceCodes.consume(hash, early.id, at(7000))).toBe(false)

    const approved = await t.store.deviceCodes.approve('WDJB-MJHT', uid, at(60_000))
    expect(approved).toMatchObject({ status: 'approved', userId: uid, decidedAt: at(60_000) })
    expect(await t.store.deviceCodes.approve('WDJB-MJHT', uid, at(61_000))).toBeUndefined() // not pending any more
    expect(await t.store.deviceCodes.deny('WDJB-MJHT', uid, at(61_000))).toBe(false)

    const key = await addKey(t.store, uid, { source: 'cli-login', name: 'CLI login on laptop-7' })
    expect(await t.store.deviceCodes.consume(hash, key.id, at(65_000))).toBe(true)
    expect(await t.store.deviceCodes.consume(hash, key.id, at(66_000))).toBe(false) // only once
    rec = await t.store.deviceCodes.findByDeviceCodeHash(hash)
    expect([rec?.status, rec?.keyId]).toEqual(['consumed', key.id])
  })

  it('a consume that loses the race rolls back the key minted for it', async () => {
    const uid = await addUser(t.store)
    await t.store.deviceCodes.create(newCode())
    await t.store.deviceCodes.approve('WDJB-MJHT', uid, at(1000))
    await t.store.deviceCodes.consume(hash, (await addKey(t.store, uid)).id, at(2000))
    await expect(
      t.store.transaction(async (tx) => {
        const k = await addKey(tx, uid, { id: 'tok_loser' })
        if (!(await tx.deviceCodes.consume(hash, k.id, at(3000)))) throw new Error('already consumed')
      }),
    ).rejects.toThrow('already consumed')
    expect(await t.store.keys.get('tok_loser')).toBeUndefined()
  })

  it('denies', async () => {
    const uid = await addUser(t.store)
    await t.store.deviceCodes.create(newCode())
    expect(await t.store.deviceCodes.deny('wdjb-mjht', uid, at(1000))).toBe(true)
    expect(await t.store.deviceCodes.findByUserCode('WDJB-MJHT')).toMatchObject({
      status: 'denied',
      userId: uid,
    })
    expect(await t.store.deviceCodes.approve('WDJB-MJHT', uid, at(2000))).toBeUndefined()
    expect(await t.store.deviceCodes.consume(hash, (await addKey(t.store, uid)).id, at(3000))).toBe(false)
  })

  it('refuses to approve or consume after expiry, and prunes expired requests', async () => {
    const uid = await addUser(t.store)
    await t.store.deviceCodes.create(newCode())
    expect(await t.store.deviceCodes.approve('WDJB-MJHT', uid, at(15 * MIN))).toBeUndefined()
    expect(await t.store.deviceCodes.deny('WDJB-MJHT', uid, at(15 * MIN))).toBe(false)

    const other = hashDeviceCode('second')
    await t.store.deviceCodes.create(newCode({ deviceCodeHash: other, userCode: 'BBBB-CCCC' }))
    await t.store.deviceCodes.approve('BBBB-CCCC', uid, at(MIN))
    expect(await t.store.deviceCodes.consume(other, (await addKey(t.store, uid)).id, at(16 * MIN))).toBe(
      false,
    )

    await t.store.deviceCodes.create(
      newCode({ deviceCodeHash: hashDeviceCode('third'), userCode: 'DDDD-EEEE', expiresAt: at(60 * MIN) }),
    )
    expect(await t.store.deviceCodes.prune(at(15 * MIN))).toBe(2)
    expect((await t.store.deviceCodes.findByUserCode('DDDD-EEEE'))?.status).toBe('pending')
    expect(await t.store.deviceCodes.findByDeviceCodeHash(hash)).toBeUndefined()
  })

  it('clears the key reference when the key is hard-deleted', async () => {
    const uid = await addUser(t.store)
    await t.store.deviceCodes.create(newCode())
    await t.store.deviceCodes.approve('WDJB-MJHT', uid, at(1000))
    const k = await addKey(t.store, uid)
    await t.store.deviceCodes.consume(hash, k.id, at(2000))
    await t.store.keys.hardDelete(k.id)
    expect((await t.store.deviceCodes.findByDeviceCodeHash(hash))?.keyId).toBeNull()
  })
})
