import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collect, ensureBuilt, isolatedEnv, runCli, spawnCli } from '../cli/helpers.js'
import {
  callApi,
  type Dashboard,
  keyRow,
  launchBrowser,
  PASSWORD,
  type PageProblems,
  registerViaApi,
  screenshot,
  startDashboard,
  watchedPage,
} from './helpers.js'

/**
 * The device flow end to end (issue #6): the real `crumb login` (built CLI, subprocess) prints a
 * code and the verification URL; a browser that is not signed in opens it, signs in, comes back,
 * sees which device asks and approves; the CLI gets its key, and `crumb tokens ls` shows it named
 * after the device. Denying and mistyped codes too.
 */

const EMAIL = 'linus@example.com'
let dash: Dashboard
let browser: Browser
let context: BrowserContext
let page: Page
let problems: PageProblems
let home: string
let apiToken: string

/** Reads the CLI's output until it has printed the code and the complete verification URL. */
function codeAndUrl(child: ChildProcess): Promise<{ code: string; url: string }> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`no code printed:\n${seen}`)), 20_000)
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8')
      const code = /one-time code: (\S+)/.exec(seen)?.[1]
      const url = /go straight to (\S+)/.exec(seen)?.[1]
      if (code !== undefined && url !== undefined) {
        clearTimeout(timer)
        resolve({ code, url })
      }
    }
    child.stderr?.on('data', onData)
    child.stdout?.on('data', onData)
  })
}

beforeAll(async () => {
  ensureBuilt()
  home = mkdtempSync(join(tmpdir(), 'crumb-dashboard-cli-'))
  dash = await startDashboard()
  apiToken = await registerViaApi(dash.url, EMAIL)
  browser = await launchBrowser()
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  ;({ page, problems } = await watchedPage(context))
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await dash?.close()
  if (home !== undefined) rmSync(home, { recursive: true, force: true })
})

describe('device approval', () => {
  it('crumb login → sign in → approve in the browser → the CLI has a key named after the device', async () => {
    const env = isolatedEnv(home, { CRUMB_SERVER: dash.url })
    const child = spawnCli(['login', '--device', 'laptop-7'], env)
    const done = collect(child, { timeoutMs: 60_000 })
    const { code, url } = await codeAndUrl(child)
    expect(url).toBe(`${dash.url}/device?user_code=${encodeURIComponent(code)}`)

    // not signed in: sign in first, then straight back to the code
    await page.goto(url)
    expect(new URL(page.url()).pathname).toBe('/sign-in')
    expect(page.url()).not.toContain(code) // the code waits in a cookie, out of URLs and logs
    expect(await page.locator('.notice').textContent()).toContain('approve the device')
    await screenshot(page, 'device-sign-in')
    await page.getByLabel('Email').fill(EMAIL)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL((u) => u.pathname === '/device')
    expect(await page.getByLabel('One-time code').inputValue()).toBe(code)

    // which device is asking
    const request = page.getByRole('region', { name: 'Is this you?' })
    await request.waitFor()
    expect(await page.locator('#request-device').textContent()).toBe('laptop-7')
    expect(await page.locator('#request-key-name').textContent()).toBe('CLI login on laptop-7')
    expect(await page.locator('#request-ip').textContent()).toBe('127.0.0.1')
    expect(await page.locator('#request-agent').textContent()).toMatch(/^crumb CLI \d/)
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('request-title')
    await screenshot(page, 'device-approve')
    await request.getByRole('button', { name: 'Approve' }).click()
    await page.getByRole('heading', { name: 'Device approved' }).waitFor()
    await expect.poll(() => page.locator('#status').textContent()).toBe('Approved laptop-7.')
    await screenshot(page, 'device-approved')

    // the remembered code is used once
    expect((await context.cookies(dash.url)).some((c) => c.name === 'crumb_device_code')).toBe(false)
    expect(dash.requests().some((r) => r.url.includes(code))).toBe(false)

    const result = await done
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('CLI login on laptop-7')

    const ls = await runCli(['tokens', 'ls', '--json'], env)
    expect(ls.code, ls.stderr).toBe(0)
    const keys = (JSON.parse(ls.stdout) as { keys: { name: string; source: string; status: string }[] }).keys
    expect(keys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'CLI login on laptop-7', source: 'cli-login' }),
      ]),
    )

    // and the keys page shows it, last used by the CLI
    await page.goto(`${dash.url}/keys`)
    const row = keyRow(page, 'CLI login on laptop-7')
    await row.waitFor()
    expect(await row.locator('td').nth(1).textContent()).toBe('CLI login')
    await expect
      .poll(async () => {
        await page.reload()
        return keyRow(page, 'CLI login on laptop-7').locator('td.last-used').textContent()
      })
      .toMatch(/127\.0\.0\.1 · crumb CLI/)
  }, 90_000)

  it('a typed code (any case, no dash) can be denied, and the device then gets access_denied', async () => {
    const start = await callApi(dash.url, 'POST', '/v1/auth/device', {
      body: { device: 'unknown-box' },
      headers: { 'user-agent': 'curl/8.5.0' },
    })
    expect(start.status).toBe(200)
    const code = String(start.body.user_code)
    await page.goto(`${dash.url}/device`)
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('user-code')
    await page.getByLabel('One-time code').fill(code.toLowerCase().replace('-', ' '))
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.getByRole('region', { name: 'Is this you?' }).waitFor()
    expect(await page.locator('#request-device').textContent()).toBe('unknown-box')
    expect(await page.locator('#request-agent').textContent()).toBe('curl 8.5.0')
    await page.getByRole('button', { name: 'Deny' }).click()
    await page.getByRole('heading', { name: 'Request denied' }).waitFor()
    const poll = await callApi(dash.url, 'POST', '/v1/auth/device/token', {
      body: { device_code: start.body.device_code },
    })
    expect(poll.status).toBe(400)
    expect(poll.body.code).toBe('access_denied')
    const keys = await callApi(dash.url, 'GET', '/v1/tokens', { token: apiToken })
    expect((keys.body.keys as { name: string }[]).map((k) => k.name)).not.toContain(
      'CLI login on unknown-box',
    )
  })

  it('an unknown or used code says so next to the field', async () => {
    await page.goto(`${dash.url}/device?user_code=BCDF-GHJK`)
    await expect
      .poll(() => page.locator('#user-code-error').textContent())
      .toMatch(/No waiting request has this code/)
    expect(await page.getByLabel('One-time code').getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByRole('region', { name: 'Is this you?' }).isVisible()).toBe(false)
    await screenshot(page, 'device-unknown-code')
  })

  // #15 item 10
  it('says plainly when approving would replace an existing key, with its last use and place', async () => {
    const start = await callApi(dash.url, 'POST', '/v1/auth/device', {
      body: { device: 'laptop-7' },
      headers: { 'user-agent': 'curl/8.5.0' },
    })
    expect(start.status).toBe(200)
    await page.goto(`${dash.url}/device?user_code=${encodeURIComponent(String(start.body.user_code))}`)
    await page.getByRole('region', { name: 'Is this you?' }).waitFor()
    const warning = page.locator('#request-replaces')
    await warning.waitFor()
    expect(await warning.textContent()).toMatch(
      /Approving replaces your key “CLI login on laptop-7” \(crumb_…/,
    )
    expect(await page.locator('#replaces-last-use').textContent()).toMatch(
      /last used .* from 127\.0\.0\.1 \(crumb CLI/,
    )
    expect(await page.locator('#replaces-place').textContent()).toMatch(/same address/)
    await screenshot(page, 'device-replaces')
    await page.getByRole('button', { name: 'Deny' }).click()
    await page.getByRole('heading', { name: 'Request denied' }).waitFor()
  })

  it('raised no script errors and no CSP violations', () => {
    expect(problems.errors).toEqual([])
  })
})
