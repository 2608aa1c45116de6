import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attenuate } from '../../src/token/attenuate.js'
import {
  callApi,
  type Dashboard,
  launchBrowser,
  type PageProblems,
  registerViaApi,
  signIn,
  startDashboard,
  watchedPage,
} from './helpers.js'

/**
 * #18 items 5 and 9, in a real browser: the audit page says what happened where the event name
 * alone misleads — an attenuated token revoked (the key stays active), a CLI logout, and a key
 * revoked by the unused-key job (and since when).
 */

const DAY = 86_400_000
const EMAIL = 'grace@example.com'

let dash: Dashboard
let browser: Browser
let page: Page
let problems: PageProblems

beforeAll(async () => {
  dash = await startDashboard({ CRUMB_UNUSED_KEY_TTL: '2d', CRUMB_JOB_INTERVAL: '200ms' })
  browser = await launchBrowser()
  ;({ page, problems } = await watchedPage(await browser.newContext()))
})

afterAll(async () => {
  await browser?.close()
  await dash?.close()
})

async function createKey(token: string, name: string): Promise<string> {
  const res = await callApi(dash.url, 'POST', '/v1/tokens', { token, body: { name } })
  expect(res.status).toBe(201)
  return res.body.token as string
}

describe('the audit page', () => {
  it('tells an attenuated revocation, a logout and an unused-key revocation apart', async () => {
    const first = await registerViaApi(dash.url, EMAIL)
    const ci = await createKey(first, 'CI deploy')
    const laptop = await createKey(first, 'CLI login on laptop')
    const job = attenuate(ci, ['ops = read'])
    expect((await callApi(dash.url, 'POST', '/v1/revocations', { body: { token: job } })).status).toBe(200)
    const logout = await callApi(dash.url, 'POST', '/v1/revocations', {
      body: { token: laptop, reason: 'logout' },
    })
    expect(logout.status).toBe(200)

    // three days on, nobody has used "CI deploy" (nor the first key): the job revokes both. Nothing
    // here may present them meanwhile, or they would count as used.
    dash.clock.shift(3 * DAY)
    await signIn(page, dash.url, EMAIL, '/audit')
    const details = page.locator('#audit-table tbody tr td.details')
    await expect
      .poll(
        async () => {
          await page.reload()
          await page.locator('#audit-table tbody tr').first().waitFor()
          return (await details.allTextContents()).join('\n')
        },
        { timeout: 15_000, interval: 300 },
      )
      .toMatch(/unused since/)
    const text = (await details.allTextContents()).join('\n')
    expect(text).toContain('revoked an attenuated token of this key (key still active)')
    expect(text).toContain('logged out')
    expect(text).toMatch(/for being unused since \d{4}-\d{2}-\d{2}/)
    expect(problems.errors).toEqual([])
  })
})
