import type { TestProject } from 'vitest/node'
import { postgresBinDir, postgresInstalled, startPostgresCluster } from './postgres-cluster.js'

/**
 * vitest globalSetup: one PostgreSQL for the whole run, shared by every worker through
 * `inject('postgresUrl')` (each test file makes its own database in it, see `usePostgresDatabase`).
 * - `CRUMB_TEST_DATABASE_URL` set: that server is used (nothing is started).
 * - else PostgreSQL 15 installed: a throwaway cluster is started on a free loopback port, and
 *   stopped and removed when the run ends.
 * - else: the PostgreSQL cases are skipped with a message — unless `CI` is set, where the run fails.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.CRUMB_TEST_DATABASE_URL
  if (given !== undefined && given !== '') {
    project.provide('postgresUrl', given)
    project.provide('postgresSkipReason', '')
    return undefined
  }
  const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false'
  if (!postgresInstalled()) {
    const reason = `PostgreSQL 15 is not installed in ${postgresBinDir()} and CRUMB_TEST_DATABASE_URL is not set`
    if (ci) throw new Error(`${reason}: CI runs the PostgreSQL suites, they may not be skipped`)
    console.warn(`\n[crumb] ${reason}: skipping the PostgreSQL test cases (apt-get install postgresql)\n`)
    project.provide('postgresUrl', '')
    project.provide('postgresSkipReason', reason)
    return undefined
  }
  const cluster = await startPostgresCluster()
  project.provide('postgresUrl', cluster.url)
  project.provide('postgresSkipReason', '')
  return async () => {
    await cluster.destroy()
  }
}
