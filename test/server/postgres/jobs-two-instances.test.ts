// #17 item 4: background jobs never double-act when two instances run them at once. Two services
// (each its own pool and listening connection) on one PostgreSQL database run every job at the same
// moment: each unused key is revoked once, each old row deleted once, each audited once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manualClock } from '../../../src/server/clock.js'
import { loadConfig } from '../../../src/server/config.js'
import { createService, runJobs, type Service } from '../../../src/service/index.js'
import type { Store } from '../../../src/store/port.js'
import { openPostgresStore } from '../../../src/store/postgres/index.js'
import { generateKeyRing } from '../../../src/token/index.js'
import { describePostgres, usePostgresDatabase } from '../../helpers/postgres.js'
import { quietLogger, TEST_SCRYPT } from '../helpers.js'

const DAY = 86_400_000
const T0 = '2026-01-01T00:00:00.000Z'

describePostgres('background jobs on two instances (#17)', () => {
  const db = usePostgresDatabase()
  const clock = manualClock(T0)
  let stores: Store[] = []
  let services: Service[] = []

  beforeAll(async () => {
    stores = await Promise.all([openPostgresStore(db.url), openPostgresStore(db.url)])
    const ring = generateKeyRing()
    const config = { ...loadConfig({}), scrypt: TEST_SCRYPT }
    services = stores.map((store) => createService({ store, ring, config, logger: quietLogger(), clock }))
  })
  afterAll(async () => {
    for (const s of services) s.feed.close()
    await Promise.all(stores.map((s) => s.close()))
  })

  describe('run at the same moment', () => {
    it('revoke each unused key once and hard-delete each old row once, with one audit row each', async () => {
      const [a] = stores as [Store]
      const users = 3
      const keysPerUser = 4
      for (let u = 0; u < users; u++) {
        const userId = `usr_jobs${u}`
        await a.users.insert({ id: userId, email: `jobs${u}@example.com`, passwordHash: 'x', createdAt: T0 })
        for (let k = 0; k < keysPerUser; k++) {
          await a.keys.insert({
            id: `tok_jobs${u}_${k}`,
            userId,
            name: `k${k}`,
            hint: 'crumb_…abcd',
            source: 'api',
            kid: 'k1',
            caveats: [],
            createdAt: T0,
            expiresAt: new Date(Date.parse(T0) + 400 * DAY),
          })
        }
      }
      // past the unused-key TTL (90 days by default): every key is due
      clock.advance(100 * DAY)
      const reports = await Promise.all(services.map((s) => runJobs(s)))
      expect(reports.reduce((n, r) => n + r.autoRevoked, 0)).toBe(users * keysPerUser)
      // past the revoked-row retention: every row is due for hard delete, on both at once
      clock.advance(400 * DAY)
      const later = await Promise.all(services.map((s) => runJobs(s)))
      expect(later.reduce((n, r) => n + r.hardDeleted, 0)).toBe(users * keysPerUser)
      for (let u = 0; u < users; u++) {
        const { events } = await a.audit.list(`usr_jobs${u}`, { limit: 500 })
        const count = (event: string): number => events.filter((e) => e.event === event).length
        expect(count('auto_revoked')).toBe(keysPerUser)
        expect(count('hard_deleted')).toBe(keysPerUser)
      }
    })
  })
})
