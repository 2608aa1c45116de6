import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import type { Clock } from '../../src/server/clock.js'
import { createLogger } from '../../src/server/logger.js'
import { type RunningServer, startServer } from '../../src/server/start.js'

import { PASSWORD } from '../helpers/http.js'

export { type ApiResult, callApi, PASSWORD, registerViaApi } from '../helpers/http.js'

/**
 * Helpers for the dashboard's browser tests: Debian's chromium driven by playwright-core, a real
 * token service on a loopback port (in-process `startServer`), and small API / page shortcuts.
 */

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Where screenshots go (gitignored). */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'dashboard')

/** Chromium flags (DEVELOPERS.md): headless, no sandbox (containers), nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
]

/**
 * Launches Debian's chromium (`CHROMIUM_PATH` overrides `/usr/bin/chromium`).
 *
 * @example
 * const browser = await launchBrowser()
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  })
}

/** A clock that runs with the wall clock, shifted by an offset tests can move (to age keys). */
export interface ShiftingClock extends Clock {
  shift(offsetMs: number): void
}

/** A {@link ShiftingClock} at offset 0. */
export function shiftingClock(): ShiftingClock {
  let offset = 0
  return {
    now: () => new Date(Date.now() + offset),
    shift(ms: number) {
      offset = ms
    },
  }
}

/** One request as the service logged it. */
export interface LoggedRequest {
  readonly method: string
  readonly url: string
  readonly status: number
}

/** A token service for one test file. */
export interface Dashboard {
  readonly url: string
  readonly server: RunningServer
  readonly clock: ShiftingClock
  /** Every request the service answered so far (from its request log). */
  requests(): LoggedRequest[]
  close(): Promise<void>
}

/**
 * Starts the token service in-process on 127.0.0.1 with a temp data directory, generous limits,
 * fast usage flushes and a 1 s device-flow interval.
 *
 * @example
 * const dash = await startDashboard()
 * await page.goto(`${dash.url}/register`)
 */
export async function startDashboard(env: Record<string, string> = {}): Promise<Dashboard> {
  const dataDir = mkdtempSync(join(tmpdir(), 'crumb-dashboard-'))
  const clock = shiftingClock()
  const requests: LoggedRequest[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue
        const entry = JSON.parse(line) as {
          req?: { method: string; url: string }
          res?: { statusCode: number }
        }
        if (entry.req !== undefined && entry.res !== undefined) {
          requests.push({ method: entry.req.method, url: entry.req.url, status: entry.res.statusCode })
        }
      }
      done()
    },
  })
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    clock,
    logger: createLogger({ level: 'info', destination }),
    env: {
      CRUMB_DEVICE_POLL_INTERVAL: '1',
      CRUMB_USAGE_FLUSH_INTERVAL: '50ms',
      CRUMB_KEY_CREATE_LIMIT: '1000',
      CRUMB_LOGIN_LIMIT: '1000',
      CRUMB_SCRYPT_N: '1024', // test-only password hashing cost
      CRUMB_REGISTER_LIMIT: '1000',
      ...env,
    },
  })
  return {
    url: server.url,
    server,
    clock,
    requests: () => [...requests],
    async close() {
      await server.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Browser problems a test fails on: uncaught errors and Content-Security-Policy violations. */
export interface PageProblems {
  readonly errors: string[]
}

/**
 * A new page that records uncaught errors and CSP violations (see {@link PageProblems}).
 *
 * @example
 * const { page, problems } = await watchedPage(context)
 * expect(problems.errors).toEqual([])
 */
export async function watchedPage(context: BrowserContext): Promise<{ page: Page; problems: PageProblems }> {
  const page = await context.newPage()
  page.setDefaultTimeout(10_000) // fail at the step, well before the test's own timeout
  const problems: PageProblems = { errors: [] }
  page.on('pageerror', (error) => problems.errors.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text())) {
      problems.errors.push(`csp: ${message.text()}`)
    }
  })
  return { page, problems }
}

/**
 * Signs in through the sign-in page and waits for the page it leads to.
 *
 * @example
 * await signIn(page, url, 'ada@example.com')
 */
export async function signIn(page: Page, url: string, email: string, next = '/keys'): Promise<void> {
  await page.goto(`${url}/sign-in?next=${encodeURIComponent(next)}`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((u) => u.pathname === new URL(next, url).pathname)
}

/**
 * Saves a full-page screenshot to `test-artifacts/dashboard/<name>.png`.
 *
 * @example
 * await screenshot(page, 'keys')
 */
export async function screenshot(page: Page, name: string, path?: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: path ?? join(ARTIFACTS, `${name}.png`), fullPage: true })
}

/**
 * The row of the keys table whose name cell is exactly `name`.
 *
 * @example
 * await keyRow(page, 'Deploy from CI').getByRole('button', { name: /^Revoke/ }).click()
 */
export function keyRow(page: Page, name: string): ReturnType<Page['locator']> {
  return page.locator('#keys-table tbody tr').filter({
    has: page.locator('th .name', {
      hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
    }),
  })
}

/**
 * A Content-Security-Policy header as directive → values.
 *
 * @example
 * cspDirectives("default-src 'none'; form-action 'self'").get('form-action') // ["'self'"]
 */
export function cspDirectives(csp: string | null | undefined): Map<string, string[]> {
  return new Map(
    (csp ?? '').split(';').map((d) => {
      const [name = '', ...values] = d.trim().split(/\s+/)
      return [name, values] as const
    }),
  )
}
