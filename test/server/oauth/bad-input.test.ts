// #19 "Bad input": every OAuth endpoint, given missing or malformed parameters, answers the RFC 6749
// error — JSON {error, error_description} at the API endpoints, an error page or a redirect to the
// registered URI at /oauth/authorize — never a 5xx, never a redirect to an unregistered URI.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { useTestService } from '../helpers.js'
import { authorizeQuery, expectOAuthError, REDIRECT, registerClient, tokenRequest } from './helpers.js'

const t = useTestService({ config: { oauthTokenLimit: 1000, oauthRegisterLimit: 1000 } })

describe('OAuth endpoints refuse bad input in RFC 6749 terms (#19)', () => {
  it('metadata names every endpoint and capability DESIGN.md lists', async () => {
    const res = await request(t.app).get('/.well-known/oauth-authorization-server')
    expect(res.status).toBe(200)
    const iss = res.body.issuer as string
    expect(res.body).toMatchObject({
      authorization_endpoint: `${iss}/oauth/authorize`,
      token_endpoint: `${iss}/oauth/token`,
      registration_endpoint: `${iss}/oauth/register`,
      revocation_endpoint: `${iss}/oauth/revoke`,
      introspection_endpoint: `${iss}/oauth/introspect`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
    })
    expect(res.body.scopes_supported).toEqual(['read', 'write', 'deploy'])
  })

  it('/oauth/register', async () => {
    const cases: [unknown, string, string?][] = [
      [{}, 'invalid_redirect_uri'],
      [{ redirect_uris: [] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['http://app.example/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://app.example/cb#frag'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: 'https://app.example/cb' }, 'invalid_redirect_uri'],
      [
        { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt' },
        'invalid_client_metadata',
      ],
      [{ redirect_uris: [REDIRECT], grant_types: ['implicit'] }, 'invalid_client_metadata'],
      [{ redirect_uris: [REDIRECT], response_types: ['token'] }, 'invalid_client_metadata'],
      [{ redirect_uris: [REDIRECT], scope: 'admin' }, 'invalid_client_metadata'],
      [{ redirect_uris: [REDIRECT], client_uri: 'http://x' }, 'invalid_client_metadata'],
    ]
    for (const [body, error] of cases) {
      expectOAuthError(
        await request(t.app)
          .post('/oauth/register')
          .send(body as object),
        error,
      )
    }
    const broken = await request(t.app).post('/oauth/register').type('json').send('{"redirect_uris": [')
    expectOAuthError(broken, 'invalid_request')
    const huge = await request(t.app)
      .post('/oauth/register')
      .type('json')
      .send(`{"x":"${'a'.repeat(20_000)}"}`)
    expect(huge.status).toBeLessThan(500)
    expect(typeof huge.body.error).toBe('string')
    expectOAuthError(await request(t.app).get('/oauth/register'), 'invalid_request', 405)
  })

  it('/oauth/token', async () => {
    const { clientId } = await registerClient(t)
    const cases: [Record<string, string>, string, number?][] = [
      [{}, 'invalid_request'],
      [{ grant_type: 'password', client_id: clientId }, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials' }, 'unsupported_grant_type'],
      [{ grant_type: 'authorization_code' }, 'invalid_client', 401],
      [{ grant_type: 'authorization_code', client_id: 'cli_nope' }, 'invalid_client', 401],
      [{ grant_type: 'authorization_code', client_id: clientId }, 'invalid_request'],
      [{ grant_type: 'authorization_code', client_id: clientId, code: 'x' }, 'invalid_request'],
      [
        { grant_type: 'authorization_code', client_id: clientId, code: 'x', code_verifier: 'y' },
        'invalid_grant',
      ],
      [{ grant_type: 'refresh_token', client_id: clientId }, 'invalid_request'],
      [{ grant_type: 'refresh_token', client_id: clientId, refresh_token: 'crumb_rt_nope' }, 'invalid_grant'],
      [
        { grant_type: 'refresh_token', client_id: clientId, refresh_token: `crumb_rt_${'A'.repeat(43)}` },
        'invalid_grant',
      ],
    ]
    for (const [form, error, status] of cases) {
      expectOAuthError(await tokenRequest(t, form), error, status)
    }
    // repeated parameters, a JSON body, an unreadable Basic header, another method
    const repeated = await request(t.app)
      .post('/oauth/token')
      .type('form')
      .send(`grant_type=refresh_token&grant_type=authorization_code&client_id=${clientId}`)
    expectOAuthError(repeated, 'invalid_request')
    const json = await request(t.app).post('/oauth/token').send({ grant_type: 'authorization_code' })
    expectOAuthError(json, 'invalid_request')
    const badJson = await request(t.app).post('/oauth/token').type('json').send('{')
    expectOAuthError(badJson, 'invalid_request')
    const basic = await request(t.app)
      .post('/oauth/token')
      .set('Authorization', 'Basic !!!')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: 'x' })
    expectOAuthError(basic, 'invalid_client', 401)
    expect(basic.headers['www-authenticate']).toMatch(/^Basic/)
    expectOAuthError(await request(t.app).get('/oauth/token'), 'invalid_request', 405)
  })

  it('/oauth/revoke', async () => {
    const { clientId } = await registerClient(t)
    expectOAuthError(
      await request(t.app).post('/oauth/revoke').type('form').send({ client_id: clientId }),
      'invalid_request',
    )
    expectOAuthError(
      await request(t.app).post('/oauth/revoke').type('form').send({ token: 'x' }),
      'invalid_client',
      401,
    )
    // an unknown or malformed token changes nothing and is not an error (RFC 7009 §2.2)
    for (const token of ['x', 'crumb_rt_nope', 'crumb_AAAA', `crumb_rt_${'B'.repeat(43)}`]) {
      const res = await request(t.app).post('/oauth/revoke').type('form').send({ token, client_id: clientId })
      expect(res.status).toBe(200)
    }
    expectOAuthError(await request(t.app).get('/oauth/revoke'), 'invalid_request', 405)
  })

  it('/oauth/introspect', async () => {
    expectOAuthError(
      await request(t.app).post('/oauth/introspect').type('form').send({ token: 'x' }),
      'invalid_client',
      401,
    )
    const bad = await request(t.app)
      .post('/oauth/introspect')
      .set('Authorization', 'Bearer crumb_nonsense')
      .type('form')
      .send({ token: 'x' })
    expectOAuthError(bad, 'invalid_client', 401)
  })

  it('/oauth/authorize: errors before the redirect URI is known good are pages; after, redirects to it', async () => {
    const { clientId } = await registerClient(t)
    const page = async (query: Record<string, string | string[]>, code: string): Promise<void> => {
      const res = await request(t.app).get('/oauth/authorize').query(query)
      expect(res.status).toBe(400)
      expect(res.headers.location).toBeUndefined()
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.text).toContain(code)
    }
    await page({}, 'invalid_request')
    await page(authorizeQuery('not a client'), 'invalid_client')
    await page(authorizeQuery('https://127.0.0.1:1/client.json'), 'invalid_client')
    await page(
      { ...authorizeQuery(clientId), redirect_uri: [REDIRECT, 'https://evil.example/cb'] },
      'invalid_request',
    )
    await page({ ...authorizeQuery(clientId), client_id: [clientId, clientId] }, 'invalid_request')

    const back = async (overrides: Record<string, string | undefined>, error: string): Promise<void> => {
      const res = await request(t.app).get('/oauth/authorize').query(authorizeQuery(clientId, overrides))
      expect(res.status).toBe(303)
      const to = new URL(res.headers.location as string)
      expect(to.origin + to.pathname).toBe(REDIRECT)
      expect(to.searchParams.get('error')).toBe(error)
    }
    await back({ response_type: undefined }, 'invalid_request')
    await back({ response_type: 'token' }, 'unsupported_response_type')
    await back({ scope: 'admin' }, 'invalid_scope')
    await back({ scope: 'org:' }, 'invalid_scope')
    await back({ resource: undefined }, 'invalid_request')
    await back({ resource: 'not a uri' }, 'invalid_target')
    await back({ resource: 'https://deploy.example/#frag' }, 'invalid_target')
    await back({ state: 'x'.repeat(2000) }, 'invalid_request')
  })

  it('/oauth/consent with an unknown request or a forged post is refused without a redirect', async () => {
    const res = await request(t.app)
      .post('/oauth/consent')
      .type('form')
      .send({ request: 'azr_x', decision: 'approve' })
    expect(res.status).toBe(400)
    expect(res.headers.location).toBeUndefined()
  })
})
