import { describe, expect, it } from 'vitest'
import { register, TEST_ENGINE, useTestService } from './helpers.js'

// #17: the service suites run once per engine (vitest projects `sqlite` and `postgres`); this
// proves each run really stores where it says, so a passing `postgres` run means PostgreSQL passed.
const t = useTestService()

describe(`the service suites' store (${TEST_ENGINE})`, () => {
  it('is the engine this run names, holding what the API wrote', async () => {
    const version = TEST_ENGINE === 'postgres' ? 'SELECT version() AS v' : 'SELECT sqlite_version() AS v'
    const [row] = (await t.rawQuery(version)) as Array<{ v: string }>
    if (TEST_ENGINE === 'postgres') expect(row?.v).toMatch(/^PostgreSQL 1\d/)
    else expect(row?.v).toMatch(/^3\.\d+/)
    expect(t.store.engine).toBe(TEST_ENGINE)
    const u = await register(t.app)
    expect(await t.rawQuery(`SELECT email FROM users WHERE id = '${u.userId}'`)).toEqual([{ email: u.email }])
  })
})
