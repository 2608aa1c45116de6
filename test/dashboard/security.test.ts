import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { safeNext } from '../../src/dashboard/index.js'
import {
  callApi,
  cspDirectives,
  type Dashboard,
  launchBrowser,
  PASSWORD,
  type PageProblems,
  registerViaApi,
  signIn,
  startDashboard,
  watchedPage,
} from './helpers.js'

/**
 * The dashboard's security (issue #6): a strict Content-Security-Policy, CSRF protection on
 * every state-changing request that rides on the session cookie (checked from a page on another
 * origin and from the dashboard itself), Secure cookies over HTTPS, no open redirect, and
 * untrusted text rendered as text.
 */

const EMAIL = 'mallory-target@example.com'
let dash: Dashboard
let browser: Browser
let context: BrowserContext
let page: Page
let problems: PageProblems
let apiToken: string
let attacker: Server
let attackerUrl: string

/** A page on another origin (another loopback port) that tries to act with the victim's cookie. */
const ATTACK_PAGE = `<!doctype html>
<html><head><title>win a prize</title></head><body>
<form id="f" method="post" enctype="text/plain"></form>
<script>
(async () => {
  const q = new URLSearchParams(location.search)
  const target = q.get('target')
  const id = q.get('id')
  const send = (path, init) =>
    fetch(target + path, { credentials: 'include', mode: 'no-cors', ...init }).catch(() => undefined)
  await send('/v1/tokens/' + id + '/rotate', { method: 'POST' })
  await send('/v1/tokens', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'evil' }) })
  await send('/v1/auth/device/approve', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"user_code":"BCDF-GHJK","approve":true}' })
  document.title = 'fetches done'
  if (q.get('form') === '1') {
    const f = document.getElementById('f')
    f.action = target + '/dashboard/sign-out'
    f.submit()
  }
})()
</script></body></html>`

beforeAll(async () => {
  dash = await startDashboard()
  apiToken = await registerViaApi(dash.url, EMAIL)
  browser = await launchBrowser()
  context = await browser.newContext()
  ;({ page, problems } = await watchedPage(context))
  await signIn(page, dash.url, EMAIL)
  attacker = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(ATTACK_PAGE)
  })
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`
})

afterAll(async () => {
  await browser?.close()
  await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()))
  await dash?.close()
})

async function keys(): Promise<{ id: string; name: string; status: string }[]> {
  const res = await callApi(dash.url, 'GET', '/v1/tokens?include_revoked=true', { token: apiToken })
  return res.body.keys as { id: string; name: string; status: string }[]
}

describe('security headers', () => {
  it('every page has a strict CSP (no inline scripts or styles), nosniff and no-store', async () => {
    for (const path of [
      '/sign-in',
      '/register',
      '/keys',
      '/sessions',
      '/audit',
      '/device?user_code=BCDF-GHJK',
    ]) {
      const response = await page.goto(dash.url + path)
      expect(response?.status(), path).toBe(200)
      const headers = response?.headers() ?? {}
      const csp = headers['content-security-policy'] ?? ''
      const directives = cspDirectives(csp)
      expect(directives.get('script-src'), path).toEqual(["'self'"])
      expect(directives.get('style-src'), path).toEqual(["'self'"])
      expect(directives.get('default-src'), path).toEqual(["'none'"])
      expect(directives.get('frame-ancestors'), path).toEqual(["'none'"])
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).not.toContain('unsafe-eval')
      expect(headers['x-content-type-options']).toBe('nosniff')
      expect(headers['cache-control']).toBe('no-store')
      const html = (await response?.text()) ?? ''
      expect(html, path).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/) // no inline scripts
      expect(html, path).not.toMatch(/\son[a-z]+=/i) // no inline handlers
      expect(html, path).not.toMatch(/\sstyle=/i) // no inline styles
    }
    expect(problems.errors).toEqual([])
  })

  it('assets are served from the service itself with the same policy', async () => {
    const css = await callApi(dash.url, 'GET', '/assets/dashboard.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    const js = await callApi(dash.url, 'GET', '/assets/js/keys.js')
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/javascript/)
    expect(js.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect((await callApi(dash.url, 'GET', '/assets/../router.ts')).status).toBe(404)
    expect((await callApi(dash.url, 'GET', '/assets/js/nope.js')).status).toBe(404)
  })
})

describe('CSRF', () => {
  it('a page on another origin cannot act with the session cookie', async () => {
    const victim = (await keys())[0]
    expect(victim).toBeDefined()
    const seen = dash.requests().length
    const evil = await context.newPage()
    const q = new URLSearchParams({ target: dash.url, id: victim?.id ?? '', form: '1' })
    await evil.goto(`${attackerUrl}/?${q}`)
    await evil.waitForURL((u) => u.href.startsWith(`${dash.url}/dashboard/sign-out`))
    // the requests reached the service with the cookie, and it refused each one
    const attempts = () =>
      dash
        .requests()
        .slice(seen)
        .filter((r) => r.method === 'POST')
        .map((r) => ({ url: r.url, status: r.status }))
    await expect.poll(() => attempts().length).toBe(4)
    expect(attempts()).toEqual(
      expect.arrayContaining([
        { url: `/v1/tokens/${victim?.id}/rotate`, status: 403 },
        { url: '/v1/tokens', status: 403 },
        { url: '/v1/auth/device/approve', status: 403 },
        { url: '/dashboard/sign-out', status: 403 },
      ]),
    )
    expect(JSON.parse((await evil.locator('body').textContent()) ?? '{}')).toMatchObject({
      code: 'forbidden',
    })
    await evil.close()

    // nothing happened: no key rotated or created, the victim is still signed in
    const after = await keys()
    expect(after.map((k) => [k.name, k.status])).toEqual([[victim?.name, 'active']])
    const audit = await callApi(dash.url, 'GET', '/v1/audit', { token: apiToken })
    expect((audit.body.events as { event: string }[]).map((e) => e.event)).not.toContain('rotated')
    await page.goto(`${dash.url}/keys`)
    expect(new URL(page.url()).pathname).toBe('/keys')
  })

  it('the dashboard itself is refused without the CSRF header or with a wrong one', async () => {
    await page.goto(`${dash.url}/keys`)
    const id = (await keys())[0]?.id ?? ''
    const results = await page.evaluate(async (keyId) => {
      const send = async (headers: Record<string, string>) => {
        const r = await fetch(`/v1/tokens/${keyId}`, {
          method: 'PATCH',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ name: 'renamed by a forged request' }),
        })
        return { status: r.status, body: (await r.json()) as { code?: string } }
      }
      const csrf = document.cookie.match(/crumb_csrf=([^;]+)/)?.[1] ?? ''
      return {
        none: await send({}),
        wrong: await send({ 'x-csrf-token': 'A'.repeat(43) }),
        right: await send({ 'x-csrf-token': csrf }),
      }
    }, id)
    expect(results.none).toMatchObject({ status: 403, body: { code: 'forbidden' } })
    expect(results.wrong).toMatchObject({ status: 403, body: { code: 'forbidden' } })
    expect(results.right.status).toBe(200)
    expect((await keys())[0]?.name).toBe('renamed by a forged request')
  })

  it('a script outside a browser with the stolen cookie but no Origin is refused too; Bearer callers are untouched', async () => {
    const cookie = (await context.cookies(dash.url)).map((c) => `${c.name}=${c.value}`).join('; ')
    const csrf = (await context.cookies(dash.url)).find((c) => c.name === 'crumb_csrf')?.value ?? ''
    const noOrigin = await callApi(dash.url, 'POST', '/v1/tokens', {
      body: { name: 'x' },
      headers: { cookie, 'x-csrf-token': csrf },
    })
    expect(noOrigin.status).toBe(403)
    expect(noOrigin.body.code).toBe('forbidden')
    const otherOrigin = await callApi(dash.url, 'POST', '/v1/tokens', {
      body: { name: 'x' },
      headers: { cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' },
    })
    expect(otherOrigin.status).toBe(403)
    // reads need no CSRF token
    expect((await callApi(dash.url, 'GET', '/v1/whoami', { headers: { cookie } })).status).toBe(200)
    // an API client presenting its own token is not affected by a stray cookie
    const bearer = await callApi(dash.url, 'POST', '/v1/tokens', {
      token: apiToken,
      body: { name: 'made by a script' },
      headers: { cookie },
    })
    expect(bearer.status).toBe(201)
  })

  it('sign-in itself needs the CSRF token and the page origin (no login CSRF)', async () => {
    const res = await callApi(dash.url, 'POST', '/dashboard/sign-in', {
      body: { email: EMAIL, password: PASSWORD },
    })
    expect(res.status).toBe(403)
    expect(res.body.code).toBe('forbidden')
  })
})

describe('cookies over HTTPS', () => {
  it('are Secure when the request came over HTTPS through a trusted proxy', async () => {
    const proxied = await startDashboard({ CRUMB_TRUST_PROXY: 'true' })
    try {
      await registerViaApi(proxied.url, EMAIL)
      const host = new URL(proxied.url).host
      const page = await callApi(proxied.url, 'GET', '/sign-in', {
        headers: { 'x-forwarded-proto': 'https' },
      })
      const csrfCookie = page.headers.getSetCookie().find((c) => c.startsWith('crumb_csrf=')) ?? ''
      expect(csrfCookie).toMatch(/; Secure/)
      const csrf = /^crumb_csrf=([^;]+)/.exec(csrfCookie)?.[1] ?? ''
      const signIn = await callApi(proxied.url, 'POST', '/dashboard/sign-in', {
        body: { email: EMAIL, password: PASSWORD },
        headers: {
          'x-forwarded-proto': 'https',
          origin: `https://${host}`,
          cookie: `crumb_csrf=${csrf}`,
          'x-csrf-token': csrf,
        },
      })
      expect(signIn.status).toBe(201)
      // Secure, so __Host- prefixed (#15 item 12)
      const session = signIn.headers.getSetCookie().find((c) => c.startsWith('__Host-crumb_session=')) ?? ''
      expect(session).toMatch(/; HttpOnly/)
      expect(session).toMatch(/; Secure/)
      expect(session).toMatch(/; SameSite=Lax/)
      expect(JSON.stringify(signIn.body)).not.toMatch(/crumb_[A-Za-z0-9_-]{20,}/) // the token only travels in the cookie

      const plain = await callApi(proxied.url, 'GET', '/sign-in')
      expect(plain.headers.getSetCookie().join('\n')).not.toMatch(/Secure/)
    } finally {
      await proxied.close()
    }
  })
})

describe('untrusted input', () => {
  it('never redirects off-site after sign-in', async () => {
    expect(safeNext('/device?user_code=BCDF-GHJK')).toBe('/device?user_code=BCDF-GHJK')
    for (const bad of [
      '//evil.example',
      'https://evil.example',
      '/\\evil.example',
      'keys',
      '/a b',
      undefined,
    ]) {
      expect(safeNext(bad)).toBe('/keys')
    }
    const other = await browser.newContext()
    const { page: p } = await watchedPage(other)
    await p.goto(`${dash.url}/sign-in?next=${encodeURIComponent('//evil.example/x')}`)
    await p.getByLabel('Email').fill(EMAIL)
    await p.getByLabel('Password').fill(PASSWORD)
    await p.getByRole('button', { name: 'Sign in' }).click()
    await p.waitForURL(`${dash.url}/keys`)
    await other.close()
  })

  it('renders key names and user agents as text', async () => {
    const nasty = '<img src=x onerror="document.title=1">'
    const res = await callApi(dash.url, 'POST', '/v1/tokens', {
      token: apiToken,
      body: { name: nasty },
      headers: { 'user-agent': '<script>document.title=2</script>' },
    })
    expect(res.status).toBe(201)
    await page.goto(`${dash.url}/keys`)
    await page.locator('#keys-table tbody th .name', { hasText: nasty }).waitFor()
    expect(await page.locator('#keys-table img').count()).toBe(0)
    await page.goto(`${dash.url}/audit`)
    await page.locator('#audit-table tbody tr').first().waitFor()
    expect(await page.locator('#audit-table img, #audit-table script').count()).toBe(0)
    expect(await page.title()).toBe('Audit log · crumb')
    expect(problems.errors).toEqual([])
  })
})
