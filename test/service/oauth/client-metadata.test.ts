// #19: client registration (RFC 7591) and Client ID Metadata Documents served on loopback.
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchClientIdDocument, isClientIdUrl } from '../../../src/service/oauth/client-id-document.js'
import { parseClientMetadata } from '../../../src/service/oauth/client-metadata.js'
import { OAuthError } from '../../../src/service/oauth/errors.js'

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn()
  } catch (error) {
    return error instanceof OAuthError ? error.code : `other: ${String(error)}`
  }
  return undefined
}

describe('client registration metadata (RFC 7591)', () => {
  it('keeps what crumb uses, with defaults', () => {
    expect(
      parseClientMetadata({
        redirect_uris: ['http://127.0.0.1:8976/callback', 'http://127.0.0.1:8976/callback'],
        client_name: ' Claude ',
        scope: 'deploy read',
        unknown_member: 1,
      }),
    ).toEqual({
      redirectUris: ['http://127.0.0.1:8976/callback'],
      clientName: 'Claude',
      tokenEndpointAuthMethod: 'none',
      clientUri: undefined,
      logoUri: undefined,
      scope: 'read deploy',
    })
    expect(parseClientMetadata({ redirect_uris: ['https://app.example/cb'] }).clientName).toBe('app.example')
    expect(
      parseClientMetadata({
        redirect_uris: ['https://app.example/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
      }).tokenEndpointAuthMethod,
    ).toBe('client_secret_basic')
  })

  it.each([
    [{}, 'invalid_redirect_uri'],
    [{ redirect_uris: [] }, 'invalid_redirect_uri'],
    [{ redirect_uris: 'https://app.example/cb' }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['http://app.example/cb'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['https://app.example/cb#x'] }, 'invalid_redirect_uri'],
    [
      { redirect_uris: Array.from({ length: 11 }, (_, i) => `https://a.example/${i}`) },
      'invalid_redirect_uri',
    ],
    [
      { redirect_uris: ['https://app.example/cb'], grant_types: ['client_credentials'] },
      'invalid_client_metadata',
    ],
    [{ redirect_uris: ['https://app.example/cb'], response_types: ['token'] }, 'invalid_client_metadata'],
    [
      { redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'private_key_jwt' },
      'invalid_client_metadata',
    ],
    [{ redirect_uris: ['https://app.example/cb'], scope: 'admin' }, 'invalid_client_metadata'],
    [{ redirect_uris: ['https://app.example/cb'], client_name: 'x'.repeat(101) }, 'invalid_client_metadata'],
    [null, 'invalid_client_metadata'],
  ])('refuses %j with %s', async (body, code) => {
    expect(await codeOf(() => parseClientMetadata(body))).toBe(code)
  })
})

describe('Client ID Metadata Documents', () => {
  let server: Server
  let base: string
  const docs = new Map<string, { status?: number; body: string }>()

  beforeAll(async () => {
    server = createServer((req, res) => {
      const doc = docs.get(req.url ?? '')
      if (doc === undefined) {
        res.writeHead(404).end()
        return
      }
      if (doc.status === 302) {
        res.writeHead(302, { location: `${base}/good.json` }).end()
        return
      }
      if (req.url === '/slow.json') return // never answers
      res.writeHead(doc.status ?? 200, { 'content-type': 'application/json' }).end(doc.body)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const doc = (path: string, extra: object = {}) =>
      JSON.stringify({
        client_id: `${base}${path}`,
        client_name: 'Loopback App',
        redirect_uris: ['http://127.0.0.1:7777/cb'],
        ...extra,
      })
    docs.set('/good.json', { body: doc('/good.json') })
    docs.set('/other-id.json', { body: doc('/good.json') })
    docs.set('/bad-redirect.json', {
      body: doc('/bad-redirect.json', { redirect_uris: ['http://evil.example/cb'] }),
    })
    docs.set('/secret.json', {
      body: doc('/secret.json', { token_endpoint_auth_method: 'client_secret_basic' }),
    })
    docs.set('/huge.json', { body: doc('/huge.json', { pad: 'x'.repeat(70_000) }) })
    docs.set('/not-json.json', { body: '<html>' })
    docs.set('/redirect.json', { status: 302, body: '' })
    docs.set('/gone.json', { status: 500, body: '{}' })
    docs.set('/slow.json', { body: '' })
  })
  afterAll(() => {
    server.closeAllConnections()
    server.close()
  })

  it('fetches a document served on loopback when loopback client ids are allowed', async () => {
    const client = await fetchClientIdDocument(`${base}/good.json`, { allowLoopback: true })
    expect(client).toMatchObject({
      clientName: 'Loopback App',
      redirectUris: ['http://127.0.0.1:7777/cb'],
      tokenEndpointAuthMethod: 'none',
    })
  })

  it('refuses loopback http client ids unless allowed, and ids that are no URL', async () => {
    expect(await codeOf(() => fetchClientIdDocument(`${base}/good.json`, { allowLoopback: false }))).toBe(
      'invalid_client',
    )
    expect(isClientIdUrl('cli_123', { allowLoopback: true })).toBe(false)
    expect(isClientIdUrl('https://app.example', { allowLoopback: false })).toBe(false)
    expect(isClientIdUrl('https://app.example/client.json', { allowLoopback: false })).toBe(true)
    expect(isClientIdUrl('http://app.example/client.json', { allowLoopback: true })).toBe(false)
  })

  it.each([
    '/other-id.json',
    '/bad-redirect.json',
    '/secret.json',
    '/huge.json',
    '/not-json.json',
    '/redirect.json',
    '/gone.json',
    '/missing.json',
    '/slow.json',
  ])('refuses %s with invalid_client', async (path) => {
    expect(
      await codeOf(() => fetchClientIdDocument(`${base}${path}`, { allowLoopback: true, timeoutMs: 500 })),
    ).toBe('invalid_client')
  })
})
