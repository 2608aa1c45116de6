import { describe, expect, it } from 'vitest'
import { WriteQueue } from '../../src/server/write-queue.js'
import { api, register, testService, useTestService } from './helpers.js'

const t = useTestService()

describe('group commit', () => {
  it('runs queued writes in one transaction; a failing job rolls back only itself', async () => {
    let commits = 0
    const q = new WriteQueue(t.store, () => commits++)
    const insert = (id: string) => () =>
      t.store.users.insert({ id, email: `${id}@example.com`, passwordHash: 'x', createdAt: new Date() })
    const results = await Promise.allSettled([
      q.run(insert('usr_a')),
      q.run(() => {
        insert('usr_b')()
        throw new Error('boom')
      }),
      q.run(insert('usr_c')),
      q.run(insert('usr_a')), // duplicate email: conflict
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected'])
    expect(commits).toBe(1)
    expect(t.store.users.get('usr_a')).toBeDefined()
    expect(t.store.users.get('usr_b')).toBeUndefined()
    expect(t.store.users.get('usr_c')).toBeDefined()
  })

  it('concurrent creations still respect the per-user limit', async () => {
    t.restart(() => testService({ config: { keyCreateLimit: 10 } }))
    const u = await register(t.app)
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        api(t.app, u.token)
          .post('/v1/tokens')
          .send({ name: `k${i}` }),
      ),
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 201)).toHaveLength(10)
    expect(statuses.filter((s) => s === 429)).toHaveLength(5)
  })
})
