/**
 * #19, resource-server side: `verifier({ audience })` checks `aud` caveats (local and remote mode)
 * and `protectedResource()` serves RFC 9728 metadata that 401 answers point to. Real Express apps
 * on loopback ports, called over HTTP; discovery through oauth4webapi.
 */
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import * as oauth from 'oauth4webapi'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as crumb from '../../src/verifier/index.js'
import { FakeTokenService } from './fake-service.js'
import { attenuate, memoryLogger, mintFixture } from './helpers.js'

const SERVICE_TOKEN = 'crumb_fake_service_token'
const AS = 'https://crumb.example'

interface Running {
  url: string
  server: Server
}

async function listen(app: express.Express): Promise<Running> {
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

/** An app whose resource identifier is known before it listens: a path under a fixed origin. */
function resourceApp(auth: crumb.Verifier, resource?: crumb.ProtectedResource): express.Express {
  const app = express()
  if (resource !== undefined) app.use(resource)
  app.use(auth)
  app.get('/data', crumb.require({ op: 'read' }), (req, res) => {
    res.json({ user: req.crumb?.userId })
  })
  return app
}

describe('verifier({ audience }) and protectedResource() (#19)', () => {
  const fx = mintFixture()
  let service: FakeTokenService
  const verifiers: crumb.Verifier[] = []
  const servers: Server[] = []
  const make = (options: Partial<crumb.VerifierOptions> = {}): crumb.Verifier => {
    const v = crumb.verifier({
      keys: fx.ring,
      server: service.url,
      serviceToken: SERVICE_TOKEN,
      usage: false,
      logger: memoryLogger(),
      ...options,
    })
    verifiers.push(v)
    return v
  }
  const start = async (app: express.Express): Promise<string> => {
    const running = await listen(app)
    servers.push(running.server)
    return running.url
  }
  const get = (url: string, token?: string): Promise<Response> =>
    fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })

  beforeEach(async () => {
    service = await new FakeTokenService(fx.ring, SERVICE_TOKEN).start()
  })
  afterEach(async () => {
    await Promise.all(verifiers.splice(0).map((v) => v.close()))
    for (const s of servers.splice(0)) s.close()
    await service.stop()
  })

  for (const mode of ['local', 'remote'] as const) {
    it(`${mode} mode: admits a token naming its audience, refuses one naming another (caveat_failed)`, async () => {
      const auth =
        mode === 'local'
          ? make({ audience: 'https://deploy.example/' })
          : crumb.verifier({
              mode: 'remote',
              server: service.url,
              serviceToken: SERVICE_TOKEN,
              usage: false,
              logger: memoryLogger(),
              audience: 'https://deploy.example/',
            })
      verifiers.push(auth)
      await auth.ready()
      const url = await start(resourceApp(auth))
      const mine = attenuate(fx.token, ['aud = https://deploy.example'])
      const both = attenuate(fx.token, ['aud = https://other.example,https://DEPLOY.example'])
      const other = attenuate(fx.token, ['aud = https://other.example'])
      // Twice each: the second answer comes from the memo (local) or cache (remote).
      for (let i = 0; i < 2; i++) {
        expect((await get(`${url}/data`, mine)).status).toBe(200)
        expect((await get(`${url}/data`, both)).status).toBe(200)
        expect((await get(`${url}/data`, fx.token)).status).toBe(200)
        const refused = await get(`${url}/data`, other)
        expect(refused.status).toBe(403)
        expect(await refused.json()).toMatchObject({
          code: 'caveat_failed',
          detail: expect.stringMatching(/aud/),
        })
      }
      if (mode === 'remote') {
        expect(service.verifyCalls).toContainEqual(
          expect.objectContaining({ request: expect.objectContaining({ aud: 'https://deploy.example' }) }),
        )
      }
    })
  }

  it('a verifier with no audience refuses every token that names one (fail closed)', async () => {
    const auth = make()
    await auth.ready()
    const url = await start(resourceApp(auth))
    for (let i = 0; i < 2; i++) {
      const res = await get(`${url}/data`, attenuate(fx.token, ['aud = https://deploy.example']))
      expect(res.status).toBe(403)
      expect((await res.json()).code).toBe('caveat_failed')
      expect((await get(`${url}/data`, fx.token)).status).toBe(200)
    }
  })

  it('refuses a malformed audience at construction', () => {
    expect(() => make({ audience: 'deploy.example' })).toThrow(/audience/)
    expect(() => make({ audience: 'https://deploy.example/#x' })).toThrow(/audience/)
  })

  it('serves RFC 9728 metadata at the well-known path, without a token, with CORS', async () => {
    const resource = crumb.protectedResource({
      resource: 'https://deploy.example',
      authorizationServers: [AS],
      scopesSupported: ['read', 'write', 'deploy'],
      resourceName: 'Deploy API',
    })
    expect(resource.metadataUrl).toBe('https://deploy.example/.well-known/oauth-protected-resource')
    const url = await start(resourceApp(make({ audience: 'https://deploy.example' }), resource))
    const res = await get(`${url}/.well-known/oauth-protected-resource`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(await res.json()).toEqual({
      resource: 'https://deploy.example',
      authorization_servers: [AS],
      bearer_methods_supported: ['header'],
      scopes_supported: ['read', 'write', 'deploy'],
      resource_name: 'Deploy API',
    })
    // Other paths are not answered by it: they reach the verifier.
    expect((await get(`${url}/.well-known/oauth-protected-resource/other`)).status).toBe(401)
  })

  it('serves a resource with a path at the path-suffixed well-known URL (RFC 9728 §3.1), as oauth4webapi discovers it', async () => {
    // The resource is on this app's own origin, so the client can fetch what it computes.
    const app = express()
    const running = await listen(app)
    servers.push(running.server)
    const resourceId = `${running.url}/mcp`
    const resource = crumb.protectedResource({ resource: resourceId, authorizationServers: [AS] })
    expect(resource.metadataUrl).toBe(`${running.url}/.well-known/oauth-protected-resource/mcp`)
    expect(resource.paths).toEqual([
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ])
    app.get([...resource.paths], resource)
    app.use(make({ audience: resourceId }))
    app.get('/mcp', (_req, res) => {
      res.json({ ok: true })
    })

    const response = await oauth.resourceDiscoveryRequest(new URL(resourceId), {
      [oauth.allowInsecureRequests]: true,
    })
    const metadata = await oauth.processResourceDiscoveryResponse(new URL(resourceId), response)
    expect(metadata.resource).toBe(resourceId)
    expect(metadata.authorization_servers).toEqual([AS])

    // The bare well-known path answers too (where clients of earlier MCP revisions look).
    expect((await (await get(`${running.url}/.well-known/oauth-protected-resource`)).json()).resource).toBe(
      resourceId,
    )
    // The 401 points at the path-suffixed document.
    const res = await get(`${running.url}/mcp`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", resource_metadata="${resource.metadataUrl}"`,
    )
  })

  it('401 answers carry WWW-Authenticate with error="invalid_token" and resource_metadata', async () => {
    const resource = crumb.protectedResource({ resource: 'https://api.example', authorizationServers: [AS] })
    const url = await start(resourceApp(make({ audience: 'https://api.example' }), resource))
    const challenge = `Bearer error="invalid_token", resource_metadata="https://api.example/.well-known/oauth-protected-resource"`
    for (const token of [
      undefined,
      'crumb_garbage',
      attenuate(fx.token, ['expires = 2020-01-01T00:00:00Z']),
    ]) {
      const res = await get(`${url}/data`, token)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe(challenge)
      if (token === undefined) continue
      // oauth4webapi reads the pointer as MCP clients do.
      const error = await oauth
        .protectedResourceRequest(token, 'GET', new URL(`${url}/data`), undefined, undefined, {
          [oauth.allowInsecureRequests]: true,
        })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
      const [parsed] = (error as oauth.WWWAuthenticateChallengeError).cause
      expect(parsed).toMatchObject({
        scheme: 'bearer',
        parameters: {
          error: 'invalid_token',
          resource_metadata: 'https://api.example/.well-known/oauth-protected-resource',
        },
      })
    }
    // A 403 is not a challenge to sign in again.
    const forbidden = await get(`${url}/data`, attenuate(fx.token, ['ops = write']))
    expect(forbidden.status).toBe(403)
  })

  it('require() points its 401 at the metadata when the verifier let a request through without a token', async () => {
    const resource = crumb.protectedResource({ resource: 'https://open.example', authorizationServers: [AS] })
    const url = await start(
      resourceApp(make({ audience: 'https://open.example', credentialsRequired: false }), resource),
    )
    const res = await get(`${url}/data`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", resource_metadata="https://open.example/.well-known/oauth-protected-resource"',
    )
  })

  it('keeps the plain challenge without metadata, and takes an explicit resourceMetadata', async () => {
    const plain = await start(resourceApp(make({ audience: 'https://unpublished.example' })))
    expect((await get(`${plain}/data`)).headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    const explicit = await start(resourceApp(make({ resourceMetadata: 'https://meta.example/doc' })))
    expect((await get(`${explicit}/data`)).headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", resource_metadata="https://meta.example/doc"',
    )
  })

  it('refuses bad options at construction (validation_failed)', () => {
    for (const bad of [
      { resource: 'http://deploy.example', authorizationServers: [AS] },
      { resource: 'https://deploy.example/#x', authorizationServers: [AS] },
      { resource: 'https://deploy.example?q=1', authorizationServers: [AS] },
      { resource: 'https://deploy.example', authorizationServers: [] },
      { resource: 'https://deploy.example', authorizationServers: ['ftp://as.example'] },
      { resource: 'https://deploy.example', authorizationServers: [AS], scopesSupported: ['has space'] },
    ]) {
      expect(() => crumb.protectedResource(bad)).toThrow(
        expect.objectContaining({ code: 'validation_failed' }),
      )
    }
  })
})
