import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  callApi,
  type Dashboard,
  keyRow,
  launchBrowser,
  PASSWORD,
  type PageProblems,
  screenshot,
  startDashboard,
  watchedPage,
} from './helpers.js'

/**
 * The keys page in a real browser against a real token service (issue #6): register, create a
 * key and read its token once, use it from outside, revoke it in the page and see the API refuse
 * it; rename, the revoked toggle, rotate with a grace period, hard delete, the audit log.
 */

let dash: Dashboard
let browser: Browser
let context: BrowserContext
let page: Page
let problems: PageProblems
let firstKeyToken: string

const EMAIL = 'ada@example.com'

beforeAll(async () => {
  dash = await startDashboard()
  browser = await launchBrowser()
  context = await browser.newContext({ viewport: { width: 1360, height: 900 } })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dash.url })
  ;({ page, problems } = await watchedPage(context))
})

afterAll(async () => {
  await browser?.close()
  await dash?.close()
})

async function createKey(name: string, fill: (dialog: ReturnType<Page['getByRole']>) => Promise<void>) {
  await page.getByRole('button', { name: 'Create key' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create a key' })
  await expect.poll(() => dialog.isVisible()).toBe(true)
  await dialog.getByLabel('Name').fill(name)
  await fill(dialog)
  await dialog.getByRole('button', { name: 'Create key' }).click()
  const tokenDialog = page.getByRole('dialog', { name: 'Copy your new key' })
  await tokenDialog.waitFor()
  const token = await tokenDialog.getByLabel(`Token for “${name}”`).inputValue()
  return { token, tokenDialog }
}

describe('keys page', () => {
  it('registers, shows the first key once, and lands on the keys page', async () => {
    await page.goto(`${dash.url}/`)
    await page.waitForURL(/\/sign-in/)
    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.waitForURL(/\/register/)
    await screenshot(page, 'register')
    await page.getByLabel('Email').fill(EMAIL)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    const dialog = page.getByRole('dialog', { name: 'Your account is ready' })
    await dialog.waitFor()
    firstKeyToken = await dialog.getByLabel('Token for “Registration key”').inputValue()
    expect(firstKeyToken).toMatch(/^crumb_[A-Za-z0-9_-]{40,}$/)
    await dialog.getByRole('button', { name: /Done/ }).click()
    await page.waitForURL(/\/keys$/)
    await expect.poll(() => keyRow(page, 'Registration key').count()).toBe(1)
    expect(await page.locator('#status').textContent()).not.toContain('crumb_')
    expect(await page.content()).not.toContain(firstKeyToken)
  })

  it('creates a key, shows its token exactly once with a copy button, then forgets it', async () => {
    const { token, tokenDialog } = await createKey('Nightly backup', async (dialog) => {
      await dialog.getByLabel('Read-only').check()
      await dialog.getByLabel('Expires after').selectOption('30d')
    })
    expect(token).toMatch(/^crumb_[A-Za-z0-9_-]{40,}$/)
    await tokenDialog.getByRole('button', { name: 'Copy' }).click()
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(token)
    await expect.poll(() => page.locator('#status').textContent()).toContain('copied')
    await screenshot(page, 'token-once')
    await tokenDialog.getByRole('button', { name: /Done/ }).click()
    // gone from the DOM, not stored anywhere
    await expect.poll(() => page.locator('#token-value').count()).toBe(0)
    expect(await page.content()).not.toContain(token)
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    )
    expect(stored).not.toContain('crumb_')
    // the row: hint, source, caveats in words, status
    const row = keyRow(page, 'Nightly backup')
    await row.waitFor()
    const hint = await row.locator('code.hint').textContent()
    expect(hint).toMatch(/^crumb_…[A-Za-z0-9_-]{4,}$/)
    expect(await row.locator('td.scope').textContent()).toBe('read-only · expires in 30 days')
    expect(await row.locator('td.status').textContent()).toContain('Active')
    expect(await row.locator('td.last-used').textContent()).toContain('Never')

    // the token works from outside the browser, and the page then shows when and from where
    const who = await callApi(dash.url, 'GET', '/v1/whoami', {
      token,
      headers: { 'user-agent': 'backup-script/2.1' },
    })
    expect(who.status).toBe(200)
    expect(who.body.key).toMatchObject({ name: 'Nightly backup', hint })
    await new Promise((r) => setTimeout(r, 200)) // usage is flushed every 50 ms
    await page.reload()
    await expect
      .poll(() => keyRow(page, 'Nightly backup').locator('td.last-used').textContent())
      .toMatch(/just now.*127\.0\.0\.1 · backup-script\/2\.1/)
    // read-only means read-only
    const write = await callApi(
      dash.url,
      'PATCH',
      `/v1/tokens/${String((who.body.key as { id: string }).id)}`,
      {
        token,
        body: { name: 'x' },
      },
    )
    expect(write.status).toBe(403)
  })

  it('a token is wiped when the page is left without dismissing it', async () => {
    const { token } = await createKey('Left open', async () => {})
    // the dialog is modal: leave the way a person would, by the address bar
    await page.goto(`${dash.url}/sessions`)
    await page.goBack()
    await page.waitForURL(/\/keys/)
    expect(await page.locator('#token-value').count()).toBe(0)
    expect(await page.content()).not.toContain(token)
  })

  it('describes caveats in words and refuses bad ones next to their field', async () => {
    await page.getByRole('button', { name: 'Create key' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create a key' })
    await dialog.getByLabel('Name').fill('Bad IP')
    await dialog.getByLabel('IP addresses or ranges').fill('not-an-ip')
    await dialog.getByRole('button', { name: 'Create key' }).click()
    await expect.poll(() => dialog.locator('#create-ip-error').isVisible()).toBe(true)
    expect(await dialog.getByLabel('IP addresses or ranges').getAttribute('aria-invalid')).toBe('true')
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/Could not create the key/)
    await dialog.getByLabel('IP addresses or ranges').fill('10.0.0.0/8')
    await dialog.getByLabel('Organisations').fill('acme')
    await dialog.getByLabel('Apps').fill('web, api')
    await dialog.getByLabel('Only these:').check()
    await dialog.getByLabel('Allowed operations').fill('read, deploy')
    await dialog.getByLabel('Device').fill('ci-runner-3')
    await dialog.getByRole('button', { name: 'Create key' }).click()
    const tokenDialog = page.getByRole('dialog', { name: 'Copy your new key' })
    await tokenDialog.waitFor()
    await tokenDialog.getByRole('button', { name: /Done/ }).click()
    // renamed so the table reads well
    expect(await keyRow(page, 'Bad IP').locator('td.scope').textContent()).toBe(
      'org acme · apps web, api · only read, deploy · device ci-runner-3 · IP 10.0.0.0/8 · expires in 3 months',
    )
  })

  it('renames a key and shows the new name', async () => {
    await keyRow(page, 'Bad IP').getByRole('button', { name: 'Rename Bad IP' }).click()
    const dialog = page.getByRole('dialog', { name: 'Rename “Bad IP”' })
    await dialog.getByLabel('New name').fill('Deploy from GitHub Actions')
    await dialog.getByRole('button', { name: 'Save name' }).click()
    await keyRow(page, 'Deploy from GitHub Actions').waitFor()
    expect(await keyRow(page, 'Bad IP').count()).toBe(0)
    await expect
      .poll(() => page.locator('#status').textContent())
      .toBe('Renamed to “Deploy from GitHub Actions”.')
    // focus stays on the renamed row
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      'Rename Deploy from GitHub Actions',
    )
    const { body } = await callApi(dash.url, 'GET', '/v1/tokens', { token: firstKeyToken })
    expect((body.keys as { name: string }[]).map((k) => k.name)).toContain('Deploy from GitHub Actions')
  })

  it('revokes a key in the page and the API then refuses it (token_revoked)', async () => {
    const { token, tokenDialog } = await createKey('Laptop I lost', async () => {})
    await tokenDialog.getByRole('button', { name: /Done/ }).click()
    expect((await callApi(dash.url, 'GET', '/v1/whoami', { token })).status).toBe(200)

    // find it in seconds: type part of the name
    await page.getByLabel('Find').fill('lost')
    await expect.poll(() => page.locator('#keys-table tbody tr').count()).toBe(1)
    await keyRow(page, 'Laptop I lost').getByRole('button', { name: 'Revoke Laptop I lost' }).click()
    const confirm = page.getByRole('dialog', { name: 'Revoke “Laptop I lost”?' })
    await confirm.waitFor()
    await screenshot(page, 'revoke-confirm')
    await confirm.getByRole('button', { name: 'Revoke key' }).click()
    await expect
      .poll(() => page.locator('#status').textContent())
      .toBe('Revoked “Laptop I lost”. It no longer works.')
    await expect.poll(() => keyRow(page, 'Laptop I lost').count()).toBe(0) // revoked keys hidden by default

    const refused = await callApi(dash.url, 'GET', '/v1/whoami', { token })
    expect(refused.status).toBe(401)
    expect(refused.body.code).toBe('token_revoked')
    await page.getByLabel('Find').fill('')
  })

  it('shows revoked keys behind a toggle', async () => {
    await page.getByLabel('Show revoked keys').check()
    const row = keyRow(page, 'Laptop I lost')
    await row.waitFor()
    expect(await row.locator('td.status').textContent()).toContain('Revoked')
    expect(await row.getByRole('button', { name: /^Revoke/ }).count()).toBe(0)
    expect(new URL(page.url()).searchParams.get('revoked')).toBe('1')
    await page.reload()
    expect(await page.getByLabel('Show revoked keys').isChecked()).toBe(true)
    await keyRow(page, 'Laptop I lost').waitFor()
    await page.getByLabel('Show revoked keys').uncheck()
    await expect.poll(() => keyRow(page, 'Laptop I lost').count()).toBe(0)
  })

  it('rotates a key with a grace period: a new token, the old one keeps working for now', async () => {
    const { token: oldToken, tokenDialog } = await createKey('Metrics exporter', async () => {})
    await tokenDialog.getByRole('button', { name: /Done/ }).click()
    await keyRow(page, 'Metrics exporter').getByRole('button', { name: 'Rotate Metrics exporter' }).click()
    const dialog = page.getByRole('dialog', { name: 'Rotate “Metrics exporter”' })
    await dialog.getByLabel('Old key keeps working for').selectOption('1h')
    await dialog.getByRole('button', { name: 'Rotate' }).click()
    const shown = page.getByRole('dialog', { name: 'Copy the replacement key' })
    await shown.waitFor()
    const newToken = await shown.getByLabel('Token for “Metrics exporter”').inputValue()
    expect(await shown.locator('#token-note').textContent()).toMatch(/keeps working until .*in 1 hour/)
    await shown.getByRole('button', { name: /Done/ }).click()
    expect(newToken).not.toBe(oldToken)
    expect((await callApi(dash.url, 'GET', '/v1/whoami', { token: newToken })).status).toBe(200)
    expect((await callApi(dash.url, 'GET', '/v1/whoami', { token: oldToken })).status).toBe(200)
    await expect.poll(() => keyRow(page, 'Metrics exporter').count()).toBe(2)
  })

  it('hard-deletes a key only after confirming', async () => {
    await page.getByLabel('Show revoked keys').check()
    await keyRow(page, 'Laptop I lost').waitFor()
    await keyRow(page, 'Laptop I lost').getByRole('button', { name: 'Delete Laptop I lost' }).click()
    const confirm = page.getByRole('dialog', { name: 'Delete “Laptop I lost” permanently?' })
    await confirm.getByRole('button', { name: 'Cancel' }).click()
    expect(await keyRow(page, 'Laptop I lost').count()).toBe(1)
    await keyRow(page, 'Laptop I lost').getByRole('button', { name: 'Delete Laptop I lost' }).click()
    await confirm.getByRole('button', { name: 'Delete permanently' }).click()
    await expect.poll(() => keyRow(page, 'Laptop I lost').count()).toBe(0)
    const { body } = await callApi(dash.url, 'GET', '/v1/tokens?include_revoked=true', {
      token: firstKeyToken,
    })
    expect((body.keys as { name: string }[]).map((k) => k.name)).not.toContain('Laptop I lost')
    await page.getByLabel('Show revoked keys').uncheck()
  })

  it('sorts by last used and flags stale keys', async () => {
    // a key made 40 days ago and never used since
    dash.clock.shift(-40 * 86_400_000)
    const old = await callApi(dash.url, 'POST', '/v1/tokens', {
      token: firstKeyToken,
      body: { name: 'Old CI key' },
    })
    expect(old.status).toBe(201)
    dash.clock.shift(0)
    await page.reload()
    const row = keyRow(page, 'Old CI key')
    await row.waitFor()
    expect(await row.locator('td.status').textContent()).toContain('Never used')
    expect(await row.getAttribute('class')).toContain('stale')
    expect(await page.locator('#keys-count').textContent()).toMatch(/· 1 stale$/)

    const lastUsed = () => page.locator('#keys-table tbody tr td.last-used').allTextContents()
    // default: stale first — never used, then least recently used
    expect(await page.getByLabel('Sort by').inputValue()).toBe('last_used')
    let cells = await lastUsed()
    const firstUsed = cells.findIndex((c) => !c.startsWith('Never'))
    expect(firstUsed).toBeGreaterThan(0)
    expect(cells.slice(firstUsed).every((c) => !c.startsWith('Never'))).toBe(true)
    await page.getByLabel('Sort by').selectOption('last_used_desc')
    cells = await lastUsed()
    expect(cells[0]).not.toMatch(/^Never/)
    expect(cells.at(-1)).toMatch(/^Never/)
    await page.getByLabel('Sort by').selectOption('last_used')
  })

  it('refuses to revoke the last active key, saying why', async () => {
    const other = await browser.newContext()
    const { page: p } = await watchedPage(other)
    await p.goto(`${dash.url}/register`)
    await p.getByLabel('Email').fill('solo@example.com')
    await p.getByLabel('Password').fill(PASSWORD)
    await p.getByRole('button', { name: 'Create account' }).click()
    await p
      .getByRole('dialog', { name: 'Your account is ready' })
      .getByRole('button', { name: /Done/ })
      .click()
    await p.waitForURL(/\/keys/)
    await keyRow(p, 'Registration key').getByRole('button', { name: 'Revoke Registration key' }).click()
    await p
      .getByRole('dialog', { name: /Revoke/ })
      .getByRole('button', { name: 'Revoke key' })
      .click()
    await expect.poll(() => p.locator('#status').textContent()).toMatch(/last active key/)
    expect(await p.locator('#status').getAttribute('data-kind')).toBe('error')
    await other.close()
  })

  it('the audit log shows who did what, filterable by key', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.waitForURL(/\/audit/)
    await expect.poll(() => page.locator('#audit-table tbody tr').count()).toBeGreaterThan(5)
    const events = await page.locator('#audit-table tbody tr td:nth-child(2)').allTextContents()
    for (const e of ['Created', 'Renamed', 'Revoked', 'Rotated', 'Deleted', 'Signed in'])
      expect(events).toContain(e)
    // done in the browser: actor, IP and browser recorded
    const deleted = page.locator('#audit-table tbody tr').filter({ hasText: 'Deleted' }).first()
    expect(await deleted.locator('td').nth(2).textContent()).toBe('Laptop I lost') // named after deletion too
    expect(await deleted.locator('td').nth(3).textContent()).toBe(EMAIL)
    expect(await deleted.locator('td').nth(4).textContent()).toBe('127.0.0.1')
    expect(await deleted.locator('td').nth(5).textContent()).toBe('Headless Chrome on Linux')
    // done with a key from a script
    const scripted = page.locator('#audit-table tbody tr').first()
    expect(await scripted.locator('td').nth(1).textContent()).toBe('Created')
    expect(await scripted.locator('td').nth(5).textContent()).toBe('Node.js')
    expect(await scripted.locator('td.details').textContent()).toContain('using Registration key')
    await screenshot(page, 'audit')

    await page
      .getByLabel('Key')
      .selectOption({ label: (await optionLabel(page, 'Deploy from GitHub Actions')) ?? '' })
    await expect
      .poll(async () =>
        (await page.locator('#audit-table tbody tr td:nth-child(2)').allTextContents()).join(','),
      )
      .toBe('Renamed,Created')
    expect(new URL(page.url()).searchParams.get('key_id')).toMatch(/^tok_/)
    expect(await page.locator('#audit-count').textContent()).toBe('2 events for “Deploy from GitHub Actions”')
    await screenshot(page, 'audit-filtered')
    // the key list links to a key's history
    await page.goto(`${dash.url}/keys`)
    await keyRow(page, 'Nightly backup').getByRole('link', { name: 'History of Nightly backup' }).click()
    await page.waitForURL(/\/audit\?key_id=tok_/)
    await expect
      .poll(async () =>
        (await page.locator('#audit-table tbody tr td:nth-child(2)').allTextContents()).join(','),
      )
      .toBe('Created')
  })

  it('pages through a long audit log', async () => {
    for (let i = 0; i < 45; i++) {
      const res = await callApi(dash.url, 'POST', '/v1/tokens', {
        token: firstKeyToken,
        body: { name: `Batch ${i}` },
      })
      expect(res.status).toBe(201)
    }
    await page.goto(`${dash.url}/audit`)
    await expect.poll(() => page.locator('#audit-table tbody tr').count()).toBe(50)
    expect(await page.locator('#audit-count').textContent()).toBe('50 events so far')
    const older = page.getByRole('button', { name: 'Load older events' })
    const rows = () => page.locator('#audit-table tbody tr').count()
    while (await older.isVisible()) {
      const before = await rows()
      await older.click()
      await expect.poll(rows).toBeGreaterThan(before)
    }
    // down to the very first event: the registration
    const first = page.locator('#audit-table tbody tr').last()
    expect(await first.locator('td').nth(1).textContent()).toBe('Created')
    expect(await first.locator('td').nth(2).textContent()).toBe('Registration key')
    expect(await page.locator('#audit-count').textContent()).toBe(`${await rows()} events`)
  })

  it('works with the keyboard alone', async () => {
    const active = () =>
      page.evaluate(() => {
        const el = document.activeElement
        return el === null ? '' : (el.getAttribute('aria-label') ?? el.id) || (el.textContent ?? '').trim()
      })
    await page.goto(`${dash.url}/keys`)
    await keyRow(page, 'Nightly backup').waitFor()
    await page.keyboard.press('Tab')
    expect(await active()).toBe('Skip to content')
    await page.keyboard.press('Enter')
    expect(await active()).toBe('main')
    await page.keyboard.press('Tab')
    expect(await active()).toBe('new-key')
    await page.keyboard.press('Enter')
    expect(await active()).toBe('create-name')
    await page.keyboard.type('Typed by keyboard')
    await page.keyboard.press('Enter')
    await page.getByRole('dialog', { name: 'Copy your new key' }).waitFor()
    expect(await active()).toBe('copy-token')
    await page.keyboard.press('Escape')
    await expect.poll(() => page.locator('#token-value').count()).toBe(0)
    await expect.poll(active).toBe('Rename Typed by keyboard')
    // the row's actions are reachable in order
    await page.keyboard.press('Tab')
    expect(await active()).toBe('Rotate Typed by keyboard')
    await page.keyboard.press('Tab')
    expect(await active()).toBe('Revoke Typed by keyboard')
    await page.keyboard.press('Enter')
    const confirm = page.getByRole('dialog', { name: 'Revoke “Typed by keyboard”?' })
    await confirm.waitFor()
    expect(await active()).toBe('confirm-cancel') // the safe choice has focus
    await page.keyboard.press('Escape')
    await expect.poll(() => confirm.isVisible()).toBe(false)
    await expect.poll(active).toBe('Revoke Typed by keyboard')
  })

  it('raised no script errors and no CSP violations', () => {
    expect(problems.errors).toEqual([])
  })
})

async function optionLabel(page: Page, startsWith: string): Promise<string | undefined> {
  const labels = await page.locator('#audit-key option').allTextContents()
  return labels.find((l) => l.startsWith(startsWith))
}
