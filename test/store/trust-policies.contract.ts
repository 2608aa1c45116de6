import { afterEach, describe, expect, it } from 'vitest'
import type { Store } from '../../src/store/index.js'
import type { EngineFactory, EngineInstance } from './contract.js'
import { addKey, addUser, at, DAY, T0 } from './helpers.js'

/**
 * The trust-policy part of the storage contract (#20): every engine runs it
 * (`sqlite.contract.test.ts`; a PostgreSQL engine calls it the same way).
 *
 * @example
 * trustPoliciesContract({ name: 'sqlite', create: async () => … })
 */
export function trustPoliciesContract(engine: EngineFactory): void {
  let current: EngineInstance | undefined
  afterEach(async () => {
    await current?.cleanup()
    current = undefined
  })
  const use = async (): Promise<EngineInstance> => {
    current = await engine.create()
    return current
  }

  let n = 0
  async function addPolicy(store: Store, userId: string, issuer: string) {
    const key = await addKey(store, userId, { source: 'workload' })
    n += 1
    return store.trustPolicies.insert({
      id: `tp_${n}`,
      userId,
      keyId: key.id,
      name: `policy ${n}`,
      issuer,
      audience: 'https://crumb.test',
      conditions: { repository: 'acme/web', ref: 'refs/heads/*' },
      caveats: ['org = acme', 'ops = deploy'],
      ttlMs: 900_000,
      createdAt: at(n),
    })
  }

  describe(`${engine.name}: trust policies (#20)`, () => {
    it('stores policies, lists them by user and by exact issuer, oldest first, and deletes them', async () => {
      const { store } = await use()
      const alice = await addUser(store)
      const bob = await addUser(store)
      const a1 = await addPolicy(store, alice, 'https://token.actions.githubusercontent.com')
      const a2 = await addPolicy(store, alice, 'https://gitlab.com')
      const b1 = await addPolicy(store, bob, 'https://token.actions.githubusercontent.com')
      expect(await store.trustPolicies.get(a1.id)).toEqual(a1)
      expect(a1.conditions).toEqual({ repository: 'acme/web', ref: 'refs/heads/*' })
      expect(a1.lastExchangedAt).toBeNull()
      expect((await store.trustPolicies.listForUser(alice)).map((p) => p.id)).toEqual([a1.id, a2.id])
      expect(
        (await store.trustPolicies.listByIssuer('https://token.actions.githubusercontent.com')).map(
          (p) => p.id,
        ),
      ).toEqual([a1.id, b1.id])
      expect(await store.trustPolicies.listByIssuer('https://token.actions.githubusercontent.com/')).toEqual(
        [],
      )
      expect(await store.trustPolicies.markExchanged(a1.id, at(DAY))).toBe(true)
      expect((await store.trustPolicies.get(a1.id))?.lastExchangedAt).toBe(at(DAY))
      expect(await store.trustPolicies.delete(a1.id)).toBe(true)
      expect(await store.trustPolicies.delete(a1.id)).toBe(false)
      expect(await store.trustPolicies.get(a1.id)).toBeUndefined()
    })

    it('claims each (issuer, jti) once, even under concurrent transactions on two connections', async () => {
      const instance = await use()
      const other = await instance.another()
      try {
        const entry = {
          issuer: 'https://i',
          jti: 'j-1',
          policyId: 'tp_x',
          exchangedAt: T0,
          expiresAt: at(DAY),
        }
        const attempts = Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? instance.store : other).transaction((tx) => tx.trustPolicies.claimJti(entry)),
        )
        const results = await Promise.all(attempts)
        expect(results.filter((r) => r)).toHaveLength(1)
        // the same jti from another issuer is another token
        expect(await instance.store.trustPolicies.claimJti({ ...entry, issuer: 'https://other' })).toBe(true)
      } finally {
        await other.close()
      }
    })

    it('prunes exchanged jtis once their ID token has expired, and only those', async () => {
      const { store } = await use()
      const base = { issuer: 'https://i', policyId: 'tp_x', exchangedAt: T0 }
      await store.trustPolicies.claimJti({ ...base, jti: 'old', expiresAt: at(1000) })
      await store.trustPolicies.claimJti({ ...base, jti: 'live', expiresAt: at(DAY) })
      expect(await store.trustPolicies.pruneJtis(at(2000))).toBe(1)
      expect(await store.trustPolicies.claimJti({ ...base, jti: 'old', expiresAt: at(DAY) })).toBe(true)
      expect(await store.trustPolicies.claimJti({ ...base, jti: 'live', expiresAt: at(DAY) })).toBe(false)
    })
  })
}
