import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A third-party app getting a crumb token the OAuth way, with nothing but `fetch` (the steps an
 * MCP client takes):
 * 1. call the API without a token: its 401 points at its protected-resource metadata (RFC 9728);
 * 2. that names the authorization server (crumb); read its metadata (RFC 8414);
 * 3. register (RFC 7591) with a loopback redirect URI (RFC 8252);
 * 4. send the user to the authorization URL with PKCE S256, `state` and `resource`;
 * 5. the browser comes back to the loopback server with the code (and `iss`, checked);
 * 6. exchange it, call the API with the token, refresh once.
 *
 * Environment: `DEPLOY_API` (the resource, default http://127.0.0.1:3000), `SCOPE` (default `read`),
 * `ORG` and `APP` (the app whose status it reads, default acme / web).
 */

const b64url = (bytes: Buffer): string => bytes.toString('base64url')

async function json(res: Response, what: string): Promise<Record<string, unknown>> {
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>
  if (!res.ok)
    throw new Error(
      `${what}: ${res.status} ${String(body.error ?? body.code ?? '')} ${String(body.error_description ?? body.detail ?? '')}`,
    )
  return body
}

async function main(): Promise<void> {
  const api = (process.env.DEPLOY_API ?? 'http://127.0.0.1:3000').replace(/\/+$/, '')
  const scope = process.env.SCOPE ?? 'read'
  const path = `/orgs/${process.env.ORG ?? 'acme'}/apps/${process.env.APP ?? 'web'}/status`

  // 1-2. discovery, starting from the API's 401
  const bare = await fetch(api + path)
  const pointer = /resource_metadata="([^"]+)"/.exec(bare.headers.get('www-authenticate') ?? '')?.[1]
  if (bare.status !== 401 || pointer === undefined)
    throw new Error(`expected a 401 with resource_metadata from ${api}`)
  const resourceMeta = await json(await fetch(pointer), 'protected-resource metadata')
  const resource = String(resourceMeta.resource)
  const issuer = String((resourceMeta.authorization_servers as string[])[0]).replace(/\/+$/, '')
  const as = await json(await fetch(`${issuer}/.well-known/oauth-authorization-server`), 'server metadata')

  // 3. a loopback redirect URI on a port the system picks
  const callback = createServer()
  callback.listen(0, '127.0.0.1')
  await once(callback, 'listening')
  const redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`
  const client = await json(
    await fetch(String(as.registration_endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'crumb example app',
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
      }),
    }),
    'registration',
  )
  const clientId = String(client.client_id)

  // 4. the authorization request, PKCE S256
  const verifier = b64url(randomBytes(32))
  const state = b64url(randomBytes(16))
  const authorize = new URL(String(as.authorization_endpoint))
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    state,
    scope,
    resource,
  }).toString()
  console.log(`Open this URL in your browser, sign in and approve:\n\n  ${authorize.href}\n`)

  // 5. the browser comes back with the code
  const back = await new Promise<URL>((resolve) => {
    callback.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', redirectUri)
      if (url.pathname !== '/callback') {
        res.writeHead(404).end()
        return
      }
      // `connection: close`, so the browser keeps no idle connection that holds this process open
      res
        .writeHead(200, { 'content-type': 'text/plain', connection: 'close' })
        .end('Done: you may close this window.')
      resolve(url)
    })
  })
  callback.close()
  if (back.searchParams.get('state') !== state) throw new Error('state does not match: not our request')
  if (back.searchParams.get('iss') !== as.issuer)
    throw new Error('iss does not match the authorization server')
  const code = back.searchParams.get('code')
  if (code === null) throw new Error(`not authorized: ${back.searchParams.get('error')}`)

  // 6. tokens, a call, a refresh
  const token = async (form: Record<string, string>): Promise<Record<string, unknown>> =>
    json(
      await fetch(String(as.token_endpoint), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: clientId, ...form }),
      }),
      'token request',
    )
  const tokens = await token({
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
    resource,
  })
  console.log(
    `granted scope: ${String(tokens.scope)}; access token expires in ${String(tokens.expires_in)} s`,
  )
  const call = await fetch(api + path, {
    headers: { authorization: `Bearer ${String(tokens.access_token)}` },
  })
  console.log(`GET ${path} -> ${call.status} ${await call.text()}`)
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) })
  console.log(
    `refreshed: a new access token and a new refresh token (the old one is spent: ${refreshed.refresh_token !== tokens.refresh_token})`,
  )
}

main().catch((error: unknown) => {
  console.error(`oauth-client: ${(error as Error).message}`)
  process.exit(1)
})
