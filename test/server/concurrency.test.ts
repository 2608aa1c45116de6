import { describe, expect, it } from 'vitest'
import { api, register, testService, useTestService } from './helpers.js'

const t = useTestService()

describe('concurrent requests (group commit)', () => {
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
