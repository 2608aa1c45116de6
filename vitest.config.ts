import { defineConfig } from 'vitest/config'
import { postgresInstalled } from './test/helpers/postgres-cluster.js'

const shared = { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks' } as const

// The service suites run a second time on PostgreSQL (#17): the supertest suites, the security
// suites and the real-process end-to-end suites (token service, deploy-api, CLI). Without a
// PostgreSQL (not installed, no CRUMB_TEST_DATABASE_URL) that second run is left out, with a
// message from the global setup; CI never leaves it out.
const SERVICE_SUITES = [
  'test/server/{auth,concurrency,device,engine,issue-18,jobs,logging,openapi,problems}.test.ts',
  'test/server/{revocations,sessions,tokens,users-login,verify-usage-audit,workload.e2e}.test.ts',
  'test/server/oauth/*.test.ts',
  'test/security/{device-approval,http-fuzz,login,public-writes,revocation-window}.test.ts',
  'test/security/{service-hardening,small-items,verify-op}.test.ts',
  'test/dashboard/{page-queries,stale-figure}.test.ts',
  'test/verifier/deploy-api.e2e.test.ts',
  'test/wire/schemas.e2e.test.ts',
  'test/cli/{device-flow,issue-18,journey,keyring}.test.ts',
]
const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false'
const postgresAvailable = ci || postgresInstalled() || (process.env.CRUMB_TEST_DATABASE_URL ?? '') !== ''

export default defineConfig({
  test: {
    // one PostgreSQL for the run (or CRUMB_TEST_DATABASE_URL), shared by both projects; its cases
    // skip without one, except on CI
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
    projects: [
      { test: { ...shared, name: 'sqlite', include: ['test/**/*.test.ts'] } },
      ...(postgresAvailable
        ? [
            {
              test: {
                ...shared,
                name: 'postgres',
                include: SERVICE_SUITES,
                env: { CRUMB_TEST_ENGINE: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
})
