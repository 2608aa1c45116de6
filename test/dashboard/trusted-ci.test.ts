import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

// #20: the dashboard's "Trusted CI" page lists trust policies, creates and deletes them (real chromium).

const EMAIL = 'ops@acme.example'
let dash: Dashboard
let browser: Browser
let page: Page
let problems: PageProblems
let apiToken: string

beforeAll(async () => {
  dash = await startDashboard()
  apiToken = await registerViaApi(dash.url, EMAIL)
  browser = await launchBrowser()
  ;({ page, problems } = await watchedPage(await browser.newContext()))
  await signIn(page, dash.url, EMAIL, '/trusted-ci')
})

afterAll(async () => {
  await browser?.close()
  await dash?.close()
})

describe('Trusted CI page (#20)', () => {
  it('creates a policy from the form, lists it with its conditions and caveats, then deletes it', async () => {
    await expect.poll(() => page.locator('#policies-count').textContent()).toBe('No trust policies yet.')
    await page.getByRole('button', { name: 'New trust policy' }).click()
    await page.getByLabel('Name').fill('deploy web from main')
    await page.getByLabel('Audience').fill('https://crumb.example.com')
    await page.getByLabel('Conditions').fill('repository=acme/web\nref=refs/heads/*')
    await page.getByLabel('Caveats of the tokens').fill('org = acme\nops = deploy')
    await page.getByRole('button', { name: 'Create policy' }).click()
    const row = page.locator('#policies-table tbody tr')
    await expect.poll(() => row.count()).toBe(1)
    const text = (await row.first().textContent()) ?? ''
    for (const part of [
      'deploy web from main',
      'https://token.actions.githubusercontent.com',
      'repository = acme/web',
      'ref = refs/heads/*',
      'ops = deploy',
      '15m',
      'never',
    ]) {
      expect(text).toContain(part)
    }
    const { body } = await callApi(dash.url, 'GET', '/v1/trust-policies', { token: apiToken })
    const [policy] = body.policies as { id: string; key_id: string }[]
    expect(policy).toBeDefined()

    // a policy with no condition besides iss/aud is refused next to the field
    await page.getByRole('button', { name: 'New trust policy' }).click()
    await page.getByLabel('Name').fill('too wide')
    await page.getByLabel('Audience').fill('https://crumb.example.com')
    await page.getByRole('button', { name: 'Create policy' }).click()
    await expect.poll(() => page.locator('#policy-conditions-error').isVisible()).toBe(true)
    await page.locator('#policy-dialog').getByRole('button', { name: 'Cancel' }).click()

    await page.getByRole('button', { name: 'Delete trust policy deploy web from main' }).click()
    await page.locator('#confirm-ok').click()
    await expect.poll(() => row.count()).toBe(0)
    const keys = await callApi(dash.url, 'GET', `/v1/tokens?include_revoked=true`, { token: apiToken })
    const key = (keys.body.keys as { id: string; status: string }[]).find((k) => k.id === policy?.key_id)
    expect(key?.status).toBe('revoked')
    expect(problems.errors).toEqual([])
  })
})
