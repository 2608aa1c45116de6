import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // one PostgreSQL for the run (or CRUMB_TEST_DATABASE_URL); its cases skip without one, except on CI
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
  },
})
