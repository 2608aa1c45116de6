import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as oauth from 'oauth4webapi'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inspectToken } from '../../src/token/index.js'
import { ensureBuilt, isolatedEnv, runCli } from '../cli/helpers.js'
import { OAUTH_CLIENT_MAIN, type Running, startDeployApi, startProcess } from '../verifier/e2e/processes.js'
import {
  callApi,
  cspDirectives,
  type Dashboard,
  launchBrowser,
  PASSWORD,
  type PageProblems,
  registerViaApi,
  screenshot,
  startDashboard,
  watchedPage,
} from './helpers.js'

/**
 * #19 end to end: a third-party app does the whole OAuth 2.1 flow with the real `oauth4webapi`
 * client library, the user consents in Debian's chromium, and the token works at the real
 * deploy-api (a separate process, local verification, its own audience) exactly as consented —
 * then refresh with rotation, reuse detection, revocation through RFC 7009 and through the real
 * `crumb tokens rm`, and a Client ID Metadata Document served on loopback.
 */

const EMAIL = 'grace@example.com'
const insecure = { [oauth.allowInsecureRequests]: true } as const
let dash: Dashboard
let deploy: Running
let browser: Browser
let context: BrowserContext
let page: Page
let problems: PageProblems
let home: string
let apiToken: string
let callback: Server
let callbackUrl: string
const callbacks: URL[] = []

let as: oauth.AuthorizationServer
let client: oauth.Client
let resource: string

/**
 * Waits for the loopback redirect URI to be called with `state` (the browser arriving with the
 * code or the error). Matching the state, not counting calls: the browser also asks the callback
 * origin for `/favicon.ico` a moment after it lands there, and that late request once passed for
 * the answer to the next consent.
 */
async function callbackWith(state: string): Promise<URL> {
  const end = Date.now() + 15_000
  for (;;) {
    const back = callbacks.find((u) => u.searchParams.get('state') === state)
    if (back !== undefined) return back
    if (Date.now() > end) throw new Error('the app was never called back')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Calls deploy-api with a token (or none). */
async function deployCall(method: string, path: string, token?: string) {
  const res = await fetch(deploy.url + path, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    ...(method === 'POST' ? { body: JSON.stringify({ ref: 'main' }) } : {}),
  })
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>
  return { status: res.status, body, headers: res.headers }
}

/** Polls until deploy-api refuses the token (the revocation reaches it through the feed). */
async function refusedByDeployApi(token: string): Promise<{ status: number; code: unknown }> {
  const end = Date.now() + 10_000
  for (;;) {
    const res = await deployCall('GET', '/orgs/acme/apps/web/status', token)
    if (res.status !== 200 || Date.now() > end) return { status: res.status, code: res.body.code }
    await new Promise((r) => setTimeout(r, 100))
  }
}

type Choice = { orgs?: string; readOnly?: boolean; decision?: 'Approve' | 'Deny' }

/** Opens an authorization URL in `p`; signs in when asked; narrows and decides on the consent page. */
async function decideInBrowser(p: Page, authorizationUrl: string, choice: Choice): Promise<void> {
  await p.goto(authorizationUrl)
  if (new URL(p.url()).pathname === '/sign-in') {
    await p.getByLabel('Email').fill(EMAIL)
    await p.getByLabel('Password').fill(PASSWORD)
    await p.getByRole('button', { name: 'Sign in' }).click()
    await p.waitForURL((u) => u.pathname === '/oauth/consent')
  }
  expect(new URL(p.url()).pathname).toBe('/oauth/consent')
  if (choice.orgs !== undefined) await p.getByLabel('Only these orgs').fill(choice.orgs)
  if (choice.readOnly === true) await p.getByLabel(/^Read-only/).check()
  await p.getByRole('button', { name: choice.decision ?? 'Approve' }).click()
}

/** Runs the authorization request in the test's page; returns where the app was called back. */
async function consentInBrowser(authorizationUrl: URL, choice: Choice): Promise<URL> {
  await decideInBrowser(page, authorizationUrl.href, choice)
  return callbackWith(authorizationUrl.searchParams.get('state') ?? '')
}

/** A fresh authorization URL for `clientId`, with PKCE and state; returns what the exchange needs. */
async function authorizationRequest(clientId: string, scope = 'read deploy') {
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const url = new URL(as.authorization_endpoint as string)
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: callbackUrl,
    response_type: 'code',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    scope,
    resource,
  }).toString()
  return { url, verifier, state }
}

async function exchangeCode(c: oauth.Client, callbackAt: URL, verifier: string, state: string) {
  const params = oauth.validateAuthResponse(as, c, callbackAt, state)
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    c,
    oauth.None(),
    params,
    callbackUrl,
    verifier,
    {
      ...insecure,
      additionalParameters: { resource },
    },
  )
  return oauth.processAuthorizationCodeResponse(as, c, response)
}

async function refresh(c: oauth.Client, refreshToken: string) {
  const response = await oauth.refreshTokenGrantRequest(as, c, oauth.None(), refreshToken, insecure)
  return oauth.processRefreshTokenResponse(as, c, response)
}

beforeAll(async () => {
  ensureBuilt()
  home = mkdtempSync(join(tmpdir(), 'crumb-oauth-cli-'))
  dash = await startDashboard({
    CRUMB_OAUTH_ALLOW_LOOPBACK_CLIENT_IDS: 'true',
    CRUMB_DEVICE_POLL_INTERVAL: '1',
  })
  apiToken = await registerViaApi(dash.url, EMAIL)
  const service = await callApi(dash.url, 'POST', '/v1/tokens', {
    token: apiToken,
    body: { name: 'deploy-api verifier', caveats: ['ops = verify'] },
  })
  expect(service.status).toBe(201)
  const config = dash.server.config
  deploy = await startDeployApi({
    server: dash.url,
    serviceToken: service.body.token as string,
    keyring: config.keyringPath ?? join(config.dataDir, 'keyring.json'),
  })
  resource = deploy.url
  callback = createServer((req, res) => {
    const url = new URL(req.url ?? '/', callbackUrl)
    if (url.pathname !== '/callback') {
      res.writeHead(404).end() // the browser's /favicon.ico
      return
    }
    callbacks.push(url)
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You may close this window.')
  })
  callback.listen(0, '127.0.0.1')
  await once(callback, 'listening')
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`
  browser = await launchBrowser()
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  ;({ page, problems } = await watchedPage(context))
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await deploy?.stop()
  callback?.close()
  await dash?.close()
  if (home !== undefined) rmSync(home, { recursive: true, force: true })
})

describe('OAuth 2.1 for a third-party app, end to end (#19)', () => {
  let first: oauth.TokenEndpointResponse

  it('deploy-api answers 401 with the metadata pointer; the client discovers crumb from it and registers', async () => {
    const bare = await deployCall('GET', '/orgs/acme/apps/web/status')
    expect(bare.status).toBe(401)
    const challenge = bare.headers.get('www-authenticate') ?? ''
    const pointer = /resource_metadata="([^"]+)"/.exec(challenge)?.[1]
    expect(pointer).toBe(`${deploy.url}/.well-known/oauth-protected-resource`)

    const rs = await oauth.processResourceDiscoveryResponse(
      new URL(resource),
      await oauth.resourceDiscoveryRequest(new URL(resource), insecure),
    )
    const issuer = new URL(rs.authorization_servers?.[0] ?? '')
    expect(issuer.href.replace(/\/$/, '')).toBe(dash.url)
    as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }),
    )
    expect(as.code_challenge_methods_supported).toEqual(['S256'])

    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        { redirect_uris: [callbackUrl], token_endpoint_auth_method: 'none', client_name: 'Deploy Bot' },
        insecure,
      ),
    )
    client = { client_id: registered.client_id, token_endpoint_auth_method: 'none' }
    expect(client.client_id).toMatch(/^cli_/)
  })

  it('signs in, narrows to read-only and one org in chromium, approves; the token carries exactly that', async () => {
    const { url, verifier, state } = await authorizationRequest(client.client_id)
    const back = await consentInBrowser(url, { orgs: 'acme', readOnly: true })
    await screenshot(page, 'oauth-after-approve')
    expect(back.searchParams.get('iss')).toBe(dash.url)
    first = await exchangeCode(client, back, verifier, state)
    expect({ type: first.token_type.toLowerCase(), scope: first.scope }).toEqual({
      type: 'bearer',
      scope: 'read org:acme',
    })
    // an hour, to the whole second below it
    expect([3599, 3600]).toContain(first.expires_in)
    const caveats = inspectToken(first.access_token).caveats.map((c) => c.text)
    expect(caveats.slice(1, 4)).toEqual(['ops = read', 'org = acme', `aud = ${resource}`])
    expect(caveats[0]).toMatch(/^expires = /)
    expect(caveats[4]).toMatch(/^expires = /)
    expect(problems.errors).toEqual([])
  })

  it('deploy-api admits the token inside the consent, 403 outside it', async () => {
    expect((await deployCall('GET', '/orgs/acme/apps/web/status', first.access_token)).status).toBe(200)
    const deploying = await deployCall('POST', '/orgs/acme/apps/web/deploys', first.access_token)
    expect({ status: deploying.status, code: deploying.body.code }).toEqual({
      status: 403,
      code: 'insufficient_scope',
    })
    const otherOrg = await deployCall('GET', '/orgs/beta/apps/web/status', first.access_token)
    expect(otherOrg.status).toBe(403)
    // RFC 7662: the resource server (with its own crumb token) may ask what the token is
    const intro = await fetch(`${dash.url}/oauth/introspect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: first.access_token }),
    })
    expect(await intro.json()).toMatchObject({
      active: true,
      scope: 'read org:acme',
      client_id: client.client_id,
      aud: resource,
      iss: dash.url,
    })
  })

  it('crumb tokens ls shows the grant: source oauth, the client’s name, its scope, its last use', async () => {
    const env = isolatedEnv(home, { CRUMB_SERVER: dash.url, CRUMB_TOKEN: apiToken })
    const end = Date.now() + 15_000
    let grant: Record<string, unknown> | undefined
    for (;;) {
      const ls = await runCli(['tokens', 'ls', '--json'], env)
      expect(ls.code).toBe(0)
      const keys = (JSON.parse(ls.stdout) as { keys: Record<string, unknown>[] }).keys
      grant = keys.find((k) => k.source === 'oauth')
      if (grant?.last_used_at != null || Date.now() > end) break
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(grant).toMatchObject({
      name: 'Deploy Bot',
      source: 'oauth',
      status: 'active',
      caveats: ['ops = read', 'org = acme'],
    })
    expect(grant?.last_used_at).toEqual(expect.any(String))
  })

  it('refresh rotates; the old refresh token presented again revokes the grant everywhere', async () => {
    const second = await refresh(client, first.refresh_token ?? '')
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect((await deployCall('GET', '/orgs/acme/apps/web/status', second.access_token)).status).toBe(200)
    await expect(refresh(client, first.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' })
    expect(await refusedByDeployApi(second.access_token)).toEqual({ status: 401, code: 'token_revoked' })
    await expect(refresh(client, second.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })

  it('RFC 7009 revocation of an access token ends the grant: refused by deploy-api and at refresh', async () => {
    const { url, verifier, state } = await authorizationRequest(client.client_id)
    const back = await consentInBrowser(url, {})
    const tokens = await exchangeCode(client, back, verifier, state)
    expect(tokens.scope).toBe('read deploy')
    expect((await deployCall('POST', '/orgs/acme/apps/web/deploys', tokens.access_token)).status).toBe(201)
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, oauth.None(), tokens.access_token, insecure),
    )
    expect(await refusedByDeployApi(tokens.access_token)).toEqual({ status: 401, code: 'token_revoked' })
    await expect(refresh(client, tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })

  it('crumb tokens rm (the real CLI) ends a grant at once: access refused everywhere, refresh refused', async () => {
    const { url, verifier, state } = await authorizationRequest(client.client_id)
    const tokens = await exchangeCode(client, await consentInBrowser(url, {}), verifier, state)
    expect((await deployCall('GET', '/orgs/acme/apps/web/status', tokens.access_token)).status).toBe(200)
    const env = isolatedEnv(home, { CRUMB_SERVER: dash.url, CRUMB_TOKEN: apiToken })
    const keyId = inspectToken(tokens.access_token).identifier?.tokenId ?? ''
    const rm = await runCli(['tokens', 'rm', keyId, '--json'], env)
    expect(rm.code, rm.stderr).toBe(0)
    expect(await refusedByDeployApi(tokens.access_token)).toEqual({ status: 401, code: 'token_revoked' })
    await expect(refresh(client, tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    // RFC 7662, asked with the user's own crumb token: the grant's access token is inactive now
    const intro = await fetch(`${dash.url}/oauth/introspect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token }),
    })
    expect(await intro.json()).toEqual({ active: false })
  })

  it('a Client ID Metadata Document served on loopback is a client without registration', async () => {
    const docServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ client_id: docUrl, client_name: 'Doc Agent', redirect_uris: [callbackUrl] }))
    })
    docServer.listen(0, '127.0.0.1')
    await once(docServer, 'listening')
    const docUrl = `http://127.0.0.1:${(docServer.address() as AddressInfo).port}/oauth/client.json`
    try {
      const docClient: oauth.Client = { client_id: docUrl, token_endpoint_auth_method: 'none' }
      const { url, verifier, state } = await authorizationRequest(docUrl, 'read')
      const shown = await page.goto(url.href)
      expect(await page.locator('#client-name').textContent()).toBe('Doc Agent')
      // the consent's CSP is every dashboard page's, its form-action also admitting the app's origin
      const dashboardPolicy = cspDirectives(
        (await callApi(dash.url, 'GET', '/sign-in')).headers.get('content-security-policy'),
      )
      expect(cspDirectives(shown?.headers()['content-security-policy'])).toEqual(
        new Map([...dashboardPolicy, ['form-action', ["'self'", new URL(callbackUrl).origin]]]),
      )
      expect(dashboardPolicy.get('form-action')).toEqual(["'self'"])
      const back = await consentInBrowser(url, {})
      const tokens = await exchangeCode(docClient, back, verifier, state)
      expect(tokens.scope).toBe('read')
      expect((await deployCall('GET', '/orgs/acme/apps/web/status', tokens.access_token)).status).toBe(200)
    } finally {
      docServer.close()
    }
  })

  it('denying in the browser sends access_denied back with state and iss', async () => {
    const { url, state } = await authorizationRequest(client.client_id)
    const back = await consentInBrowser(url, { decision: 'Deny' })
    expect(Object.fromEntries(back.searchParams)).toMatchObject({
      error: 'access_denied',
      state,
      iss: dash.url,
    })
    expect(problems.errors).toEqual([])
  })
})

describe('examples/oauth-client, run as the README says (#19)', () => {
  it('prints the URL for a person; approved in chromium, it gets a narrowed token, calls deploy-api and refreshes', async () => {
    const app = await startProcess(
      OAUTH_CLIENT_MAIN,
      { DEPLOY_API: deploy.url, SCOPE: 'read deploy' },
      { name: 'examples/oauth-client', pattern: /open this URL in your browser.*\n\n {2}(\S+)\n/i },
    )
    const exited = once(app.child, 'exit') as Promise<[number | null, string | null]>
    try {
      // a person with a fresh browser: not signed in yet
      const own = await browser.newContext({ viewport: { width: 1280, height: 900 } })
      const person = await watchedPage(own)
      await decideInBrowser(person.page, app.url, { orgs: 'acme', readOnly: true })
      await person.page.waitForURL((u) => u.pathname === '/callback')
      expect(await person.page.textContent('body')).toBe('Done: you may close this window.')
      expect(person.problems.errors).toEqual([])
      await own.close()

      const [code] = await exited
      const lines = app.output().trimEnd().split('\n')
      expect(code, app.output()).toBe(0)
      const userId = inspectToken(apiToken).identifier?.userId
      expect(lines).toEqual([
        'Open this URL in your browser, sign in and approve:',
        '',
        `  ${app.url}`,
        '',
        expect.stringMatching(/^granted scope: read org:acme; access token expires in (3599|3600) s$/),
        expect.stringMatching(/^GET \/orgs\/acme\/apps\/web\/status -> 200 \{/),
        'refreshed: a new access token and a new refresh token (the old one is spent: true)',
      ])
      // the app's call was admitted as the person who consented
      expect(JSON.parse(lines[5]?.replace(/^.*? -> 200 /, '') ?? '')).toMatchObject({
        org: 'acme',
        app: 'web',
        viewer: userId,
      })
      const asked = new URL(app.url)
      expect(Object.fromEntries(asked.searchParams)).toMatchObject({
        scope: 'read deploy',
        resource: deploy.url,
        code_challenge_method: 'S256',
      })
      // deploy-api really verified the token: its usage report reached the service for the grant
      const end = Date.now() + 15_000
      let grant: Record<string, unknown> | undefined
      for (;;) {
        const keys = await callApi(dash.url, 'GET', '/v1/tokens', { token: apiToken })
        grant = (keys.body.keys as Record<string, unknown>[]).find((k) => k.name === 'crumb example app')
        if (grant?.last_used_at != null || Date.now() > end) break
        await new Promise((r) => setTimeout(r, 250))
      }
      expect(grant).toMatchObject({
        source: 'oauth',
        status: 'active',
        caveats: ['ops = read', 'org = acme'],
      })
      expect(grant?.last_used_at).toEqual(expect.any(String))
    } finally {
      await app.stop()
    }
  })
})
