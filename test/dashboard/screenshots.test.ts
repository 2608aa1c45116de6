import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  callApi,
  type Dashboard,
  keyRow,
  launchBrowser,
  PASSWORD,
  ROOT,
  screenshot,
  signIn,
  startDashboard,
  watchedPage,
} from './helpers.js'

/**
 * A realistic account (keys of every kind, some stale, one revoked, two browsers signed in) to
 * look at: screenshots of every page in test-artifacts/dashboard/, and the keys page for the
 * README in docs/keys-page.png (when UPDATE_DOCS_SCREENSHOT=1).
 */

const DAY = 86_400_000
const HOUR = 3_600_000
const EMAIL = 'ada@acme.dev'

let dash: Dashboard
let browser: Browser
let page: Page

/** Runs `fn` with the service's clock `agoMs` in the past. */
async function at<T>(agoMs: number, fn: () => Promise<T>): Promise<T> {
  dash.clock.shift(-agoMs)
  try {
    return await fn()
  } finally {
    dash.clock.shift(0)
  }
}

const CLI_UA = 'crumb-cli/0.1.0 node/20.19.0'

/** Seeds a year of history in order: each call made `ago` ms in the past from `ip` by the CLI. */
async function seed(): Promise<void> {
  const registered = await at(90 * DAY, () =>
    callApi(dash.url, 'POST', '/v1/users', {
      body: { email: EMAIL, password: PASSWORD },
      headers: { 'x-forwarded-for': '198.51.100.23', 'user-agent': 'curl/8.5.0' },
    }),
  )
  expect(registered.status).toBe(201)
  const ids: Record<string, string> = { 'Registration key': (registered.body.key as { id: string }).id }
  const tokens: Record<string, string> = {}

  const login = async (device: string, ago: number, ip: string) => {
    const res = await at(ago, () =>
      callApi(dash.url, 'POST', '/v1/auth/login', {
        body: { email: EMAIL, password: PASSWORD, device },
        headers: { 'x-forwarded-for': ip, 'user-agent': CLI_UA },
      }),
    )
    expect(res.status).toBe(201)
    ids[device] = (res.body.key as { id: string }).id
    tokens[device] = res.body.token as string
  }
  const IPS: Record<string, string> = { 'old-thinkpad': '192.0.2.77', 'ada-macbook': '203.0.113.42' }
  const cli = (device: string, ago: number, method: string, path: string, body?: unknown) =>
    at(ago, () =>
      callApi(dash.url, method, path, {
        token: tokens[device] ?? '',
        ...(body === undefined ? {} : { body }),
        headers: { 'x-forwarded-for': IPS[device] ?? '', 'user-agent': CLI_UA },
      }),
    )
  const create = async (device: string, ago: number, name: string, caveats: string[], expiresIn: string) => {
    const res = await cli(device, ago, 'POST', '/v1/tokens', { name, caveats, expires_in: expiresIn })
    expect(res.status).toBe(201)
    ids[name] = (res.body.key as { id: string }).id
  }

  await login('old-thinkpad', 80 * DAY, IPS['old-thinkpad'] ?? '')
  await create(
    'old-thinkpad',
    45 * DAY,
    'Billing export',
    ['org = acme', 'app = billing', 'ops = read'],
    '365d',
  )
  await create('old-thinkpad', 40 * DAY, 'Contractor: Q3 audit', ['org = acme', 'ops = read'], '90d')
  await login('ada-macbook', 30 * DAY, IPS['ada-macbook'] ?? '')
  await create('ada-macbook', 20 * DAY, 'Grafana dashboards', ['org = acme', 'ops = read'], '90d')
  await create(
    'ada-macbook',
    10 * DAY,
    'Deploy from GitHub Actions',
    ['org = acme', 'app = web', 'ops = deploy'],
    '30d',
  )
  await create(
    'ada-macbook',
    2 * DAY,
    'Staging smoke tests',
    ['app = staging', 'ops = read', 'ip = 10.0.0.0/8'],
    '7d',
  )
  const revoked = await cli('ada-macbook', DAY, 'DELETE', `/v1/tokens/${ids['Contractor: Q3 audit']}`)
  expect(revoked.status).toBe(200)

  // what the services that verify these keys reported (POST /v1/usage)
  const use = (name: string, ago: number, ip: string, ua: string) => ({
    token_id: ids[name],
    at: new Date(Date.now() - ago).toISOString(),
    ip,
    user_agent: ua,
  })
  const usage = await cli('ada-macbook', 0, 'POST', '/v1/usage', {
    reports: [
      use('Registration key', 88 * DAY, '198.51.100.23', 'curl/8.5.0'),
      use('old-thinkpad', 52 * DAY, '192.0.2.77', 'crumb-cli/0.0.9 node/20.11.1'),
      use('Deploy from GitHub Actions', 3 * HOUR, '140.82.112.5', 'GitHub-Actions/2.317.0'),
      use('Grafana dashboards', 5 * 60_000, '10.0.4.12', 'Grafana/10.4.2'),
      use('Staging smoke tests', 20 * HOUR, '10.0.7.31', 'k6/0.49.0 (https://k6.io/)'),
      use('Contractor: Q3 audit', 33 * DAY, '198.51.100.8', 'python-requests/2.31.0'),
    ],
  })
  expect(usage.status).toBe(202)
}

beforeAll(async () => {
  dash = await startDashboard({ CRUMB_TRUST_PROXY: 'true', CRUMB_TOKEN_TTL: '180d' })
  await seed()
  browser = await launchBrowser()
  // a second browser, signed in earlier from elsewhere
  const phone = await browser.newContext({
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  })
  const { page: phonePage } = await watchedPage(phone)
  await signIn(phonePage, dash.url, EMAIL)
  await phone.close()
  const context = await browser.newContext({
    viewport: { width: 1440, height: 860 },
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  })
  ;({ page } = await watchedPage(context))
})

afterAll(async () => {
  await browser?.close()
  await dash?.close()
})

describe('screenshots', () => {
  it('sign-in page', async () => {
    await page.goto(`${dash.url}/sign-in`)
    await screenshot(page, 'sign-in')
  })

  it('keys page (docs/keys-page.png with UPDATE_DOCS_SCREENSHOT=1)', async () => {
    await signIn(page, dash.url, EMAIL)
    await keyRow(page, 'CLI login on old-thinkpad').waitFor()
    await page.mouse.move(0, 0)
    await screenshot(page, 'keys')
    // The README's screenshot changes only when asked, so a test run leaves the tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      mkdirSync(join(ROOT, 'docs'), { recursive: true })
      await page.screenshot({ path: join(ROOT, 'docs', 'keys-page.png'), fullPage: true })
    }
    await page.getByLabel('Show revoked keys').check()
    await keyRow(page, 'Contractor: Q3 audit').waitFor()
    await screenshot(page, 'keys-with-revoked')
    await page.getByLabel('Show revoked keys').uncheck()
    await page.getByLabel('Find').fill('thinkpad')
    await screenshot(page, 'keys-find')
  })

  it('create dialog', async () => {
    await page.goto(`${dash.url}/keys`)
    await page.getByRole('button', { name: 'Create key' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create a key' })
    await dialog.getByLabel('Name').fill('Deploy from Buildkite')
    await dialog.getByLabel('Organisations').fill('acme')
    await dialog.getByLabel('Only these:').check()
    await dialog.getByLabel('Allowed operations').fill('deploy')
    await screenshot(page, 'create-dialog')
  })

  it('sessions page', async () => {
    await page.goto(`${dash.url}/sessions`)
    await page.locator('#sessions-table tbody tr').nth(1).waitFor()
    await screenshot(page, 'sessions')
  })

  it('audit page', async () => {
    await page.goto(`${dash.url}/audit`)
    await page.locator('#audit-table tbody tr').first().waitFor()
    await screenshot(page, 'audit-log')
  })

  it('device page', async () => {
    const start = await callApi(dash.url, 'POST', '/v1/auth/device', {
      body: { device: 'build-box-2' },
      headers: { 'x-forwarded-for': '203.0.113.90', 'user-agent': 'crumb-cli/0.1.0 node/20.19.0' },
    })
    expect(start.status).toBe(200)
    await page.goto(String(start.body.verification_uri_complete))
    await page.getByRole('heading', { name: 'Is this you?' }).waitFor()
    await screenshot(page, 'device')
  })
})
