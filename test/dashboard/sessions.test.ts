import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  callApi,
  type Dashboard,
  launchBrowser,
  type PageProblems,
  registerViaApi,
  screenshot,
  signIn,
  startDashboard,
  watchedPage,
} from './helpers.js'

/**
 * Dashboard sessions (issue #6): the session lives only in an HttpOnly cookie, sessions never
 * show up as keys, and "sign out all other sessions" really signs the other browser out.
 */

const EMAIL = 'grace@example.com'
let dash: Dashboard
let browser: Browser
let laptop: BrowserContext
let phone: BrowserContext
let laptopPage: Page
let phonePage: Page
let problems: PageProblems
let apiToken: string

beforeAll(async () => {
  dash = await startDashboard()
  apiToken = await registerViaApi(dash.url, EMAIL)
  browser = await launchBrowser()
  laptop = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  phone = await browser.newContext({
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  })
  ;({ page: laptopPage, problems } = await watchedPage(laptop))
  ;({ page: phonePage } = await watchedPage(phone))
})

afterAll(async () => {
  await browser?.close()
  await dash?.close()
})

describe('sessions', () => {
  it('sends to sign-in first and comes back to the page asked for', async () => {
    const response = await laptopPage.goto(`${dash.url}/sessions`)
    expect(new URL(laptopPage.url()).pathname).toBe('/sign-in')
    expect(new URL(laptopPage.url()).searchParams.get('next')).toBe('/sessions')
    expect(response?.status()).toBe(200)
    await laptopPage.getByLabel('Email').fill(EMAIL)
    await laptopPage.getByLabel('Password').fill('wrong password')
    await laptopPage.getByRole('button', { name: 'Sign in' }).click()
    await expect
      .poll(() => laptopPage.locator('#password-error').textContent(), { timeout: 10_000 })
      .toBe('Wrong email or password.')
    expect(await laptopPage.getByLabel('Password').getAttribute('aria-invalid')).toBe('true')
    await signIn(laptopPage, dash.url, EMAIL, '/sessions')
  })

  it('keeps the session token in an HttpOnly, SameSite=Lax cookie the page cannot read', async () => {
    const cookies = await laptop.cookies(dash.url)
    const session = cookies.find((c) => c.name === 'crumb_session')
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' })
    expect(session?.value).toMatch(/^crumb_/)
    const csrf = cookies.find((c) => c.name === 'crumb_csrf')
    expect(csrf).toMatchObject({ httpOnly: false, sameSite: 'Lax' })
    const visible = await laptopPage.evaluate(() => document.cookie)
    expect(visible).not.toContain('crumb_session')
    expect(visible).not.toContain(session?.value ?? '?')
    expect(await laptopPage.content()).not.toContain(session?.value ?? '?')
  })

  it('lists this and the other sessions, never as keys', async () => {
    await signIn(phonePage, dash.url, EMAIL)
    await laptopPage.reload()
    const rows = laptopPage.locator('#sessions-table tbody tr')
    await expect.poll(() => rows.count()).toBe(2)
    const current = rows.filter({ hasText: 'This session' })
    expect(await current.locator('th .name').textContent()).toBe('Headless Chrome on Linux')
    expect(await current.locator('td').first().textContent()).toBe('127.0.0.1')
    const other = rows.filter({ hasNotText: 'This session' })
    expect(await other.locator('th .name').textContent()).toBe('Safari on iOS')
    expect(await laptopPage.locator('#sessions-count').textContent()).toBe('2 sessions · 1 other')
    await screenshot(laptopPage, 'sessions-two')
    // the key list knows nothing of them
    const keys = await callApi(dash.url, 'GET', '/v1/tokens?include_revoked=true', { token: apiToken })
    expect((keys.body.keys as { source: string }[]).map((k) => k.source)).toEqual(['register'])
  })

  it('signs out all other sessions: the other browser is signed out', async () => {
    const phoneToken = (await phone.cookies(dash.url)).find((c) => c.name === 'crumb_session')?.value ?? ''
    expect((await callApi(dash.url, 'GET', '/v1/whoami', { token: phoneToken })).status).toBe(200)
    await laptopPage.getByRole('button', { name: 'Sign out all other sessions' }).click()
    const confirm = laptopPage.getByRole('dialog', { name: 'Sign out all other sessions?' })
    await confirm.getByRole('button', { name: 'Sign out others' }).click()
    await expect.poll(() => laptopPage.locator('#status').textContent()).toBe('Signed out 1 other session.')
    await expect.poll(() => laptopPage.locator('#sessions-table tbody tr').count()).toBe(1)
    expect(await laptopPage.getByRole('button', { name: 'Sign out all other sessions' }).isDisabled()).toBe(
      true,
    )

    // the phone's next page load lands on sign-in...
    await phonePage.goto(`${dash.url}/keys`)
    expect(new URL(phonePage.url()).pathname).toBe('/sign-in')
    expect((await phone.cookies(dash.url)).some((c) => c.name === 'crumb_session')).toBe(false)
    // ...and its old session token no longer works anywhere
    const reused = await callApi(dash.url, 'GET', '/v1/whoami', { token: phoneToken })
    expect(reused.status).toBe(401)
    expect(reused.body.code).toBe('token_revoked')
  })

  it('a page already open in the signed-out browser goes to sign-in on its next call', async () => {
    await signIn(phonePage, dash.url, EMAIL)
    await laptopPage.reload()
    await expect.poll(() => laptopPage.locator('#sessions-table tbody tr').count()).toBe(2)
    // one session signed out from the list itself
    await laptopPage.getByRole('button', { name: /^Sign out Safari on iOS session/ }).click()
    await expect.poll(() => laptopPage.locator('#status').textContent()).toBe('Signed out that session.')
    await phonePage.getByLabel('Show revoked keys').click() // its next API call gets 401
    await phonePage.waitForURL(/\/sign-in\?next=%2Fkeys/)
  })

  it('signs out from the header, ending the session on the server', async () => {
    const before = (await laptop.cookies(dash.url)).find((c) => c.name === 'crumb_session')?.value ?? ''
    await laptopPage.getByRole('button', { name: 'Sign out', exact: true }).click()
    await laptopPage.waitForURL(/\/sign-in$/)
    expect((await laptop.cookies(dash.url)).some((c) => c.name === 'crumb_session')).toBe(false)
    const reused = await callApi(dash.url, 'GET', '/v1/whoami', { token: before })
    expect(reused.status).toBe(401)
    expect(reused.body.code).toBe('token_revoked')
    await laptopPage.goto(`${dash.url}/audit`)
    expect(new URL(laptopPage.url()).pathname).toBe('/sign-in')
  })

  it('raised no script errors and no CSP violations', () => {
    expect(problems.errors).toEqual([])
  })
})
