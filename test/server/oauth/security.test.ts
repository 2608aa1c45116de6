// #19 "Security": every item has a case here, against the real Express app and SQLite store.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { inspectToken, verifyToken } from '../../../src/token/index.js'
import { api, bearer, expectProblem, register, useTestService } from '../helpers.js'
import {
  authorizeAndDecide,
  authorizeQuery,
  exchange,
  expectOAuthError,
  REDIRECT,
  RESOURCE,
  registerClient,
  tokenRequest,
  VERIFIER,
} from './helpers.js'

const t = useTestService({ config: { oauthTokenLimit: 1000 } })

/** A user, a public client and a fresh code for it. */
async function codeFor(consent = {}, query: Record<string, string | undefined> = {}) {
  const user = await register(t.app)
  const { clientId } = await registerClient(t)
  const decided = await authorizeAndDecide(t, user.token, authorizeQuery(clientId, query), consent)
  if (decided.code === null) throw new Error('no code')
  return { user, clientId, code: decided.code, redirectTo: decided.redirectTo }
}

async function keyOf(userToken: string, name = 'Test app') {
  const res = await request(t.app)
    .get('/v1/tokens?include_revoked=true')
    .set(...bearer(userToken))
  return (
    res.body.keys as { name: string; status: string; source: string; id: string; caveats: string[] }[]
  ).find((k) => k.name === name)
}

describe('OAuth security (#19)', () => {
  it('the consent narrows the token: the grant key and the access token carry exactly what was consented', async () => {
    const { user, clientId, code } = await codeFor({ orgs: ['acme'], readOnly: true })
    const res = await exchange(t, clientId, code)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'read org:acme' })
    // an hour, in whole seconds of the caveat's expiry: 3599 when the clock is inside a second
    expect(res.body.expires_in).toBeGreaterThanOrEqual(3599)
    expect(res.body.expires_in).toBeLessThanOrEqual(3600)
    const key = await keyOf(user.token)
    expect(key).toMatchObject({ source: 'oauth', status: 'active', caveats: ['ops = read', 'org = acme'] })
    const caveats = inspectToken(res.body.access_token as string).caveats.map((c) => c.text)
    expect(caveats.slice(1)).toEqual(['ops = read', 'org = acme', `aud = ${RESOURCE}`, caveats.at(-1)])
    expect(caveats[0]).toMatch(/^expires = /)
    expect(caveats.at(-1)).toMatch(/^expires = /)
    // verifiable locally at its resource, for what was consented only
    const opts = { keys: t.ring, now: t.clock.now(), audience: RESOURCE }
    expect(
      verifyToken(res.body.access_token, { ...opts, request: { op: 'read', org: 'acme' } }).tokenId,
    ).toBe(key?.id)
    expect(() =>
      verifyToken(res.body.access_token, { ...opts, request: { op: 'deploy', org: 'acme' } }),
    ).toThrow()
    expect(() =>
      verifyToken(res.body.access_token, { ...opts, request: { op: 'read', org: 'beta' } }),
    ).toThrow()
  })

  it('state and iss come back with the code', async () => {
    const { redirectTo } = await codeFor()
    expect(redirectTo.origin + redirectTo.pathname).toBe(REDIRECT)
    expect(redirectTo.searchParams.get('state')).toBe('st-123')
    expect(redirectTo.searchParams.get('iss')).toBe('http://crumb.test')
  })

  it('exact redirect-URI match: another path, host or scheme gets an error page, never a redirect', async () => {
    const { clientId } = await registerClient(t)
    for (const uri of [
      `${REDIRECT}/`,
      'http://127.0.0.1:7777/other',
      'https://127.0.0.1:7777/callback',
      'http://evil.example/callback',
      `${REDIRECT}?x=1`,
    ]) {
      const res = await request(t.app)
        .get('/oauth/authorize')
        .query(authorizeQuery(clientId, { redirect_uri: uri }))
      expect(res.status, uri).toBe(400)
      expect(res.headers.location).toBeUndefined()
      expect(res.text).toContain('invalid_request')
    }
    // a loopback redirect URI matches at any port (RFC 8252 §7.3)
    const ok = await request(t.app)
      .get('/oauth/authorize')
      .query(authorizeQuery(clientId, { redirect_uri: 'http://127.0.0.1:40001/callback' }))
    expect(ok.status).toBe(303)
  })

  it('an unknown client gets an error page, never a redirect (no open redirect)', async () => {
    const res = await request(t.app)
      .get('/oauth/authorize')
      .query(authorizeQuery('cli_AAAAAAAAAAAAAAAAAAAAAA', { redirect_uri: 'https://evil.example/cb' }))
    expect(res.status).toBe(400)
    expect(res.headers.location).toBeUndefined()
    expect(res.text).toContain('invalid_client')
    expect(res.text).not.toContain('evil.example')
  })

  it('PKCE S256 only: no challenge, plain, or a malformed challenge are refused (back to the client)', async () => {
    const { clientId } = await registerClient(t)
    for (const [overrides, error] of [
      [{ code_challenge: undefined }, 'invalid_request'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge_method: undefined }, 'invalid_request'],
      [{ code_challenge: 'short' }, 'invalid_request'],
    ] as const) {
      const res = await request(t.app).get('/oauth/authorize').query(authorizeQuery(clientId, overrides))
      expect(res.status).toBe(303)
      const to = new URL(res.headers.location as string)
      expect(to.origin + to.pathname).toBe(REDIRECT)
      expect(Object.fromEntries(to.searchParams)).toMatchObject({ error, state: 'st-123' })
      expect(to.searchParams.get('iss')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    }
  })

  it('a code is single-use: the replay is invalid_grant and revokes the grant (access and refresh tokens)', async () => {
    const { user, clientId, code } = await codeFor()
    const first = await exchange(t, clientId, code)
    expect(first.status).toBe(200)
    expectOAuthError(await exchange(t, clientId, code), 'invalid_grant')
    expect((await keyOf(user.token))?.status).toBe('revoked')
    const refreshed = await tokenRequest(t, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: first.body.refresh_token,
    })
    expectOAuthError(refreshed, 'invalid_grant')
    const intro = await request(t.app)
      .post('/oauth/introspect')
      .set(...bearer(user.token))
      .type('form')
      .send({ token: first.body.access_token })
    expect(intro.body).toEqual({ active: false })
  })

  it('a code lives at most 60 seconds', async () => {
    const { clientId, code } = await codeFor()
    t.clock.advance(60_001)
    expectOAuthError(await exchange(t, clientId, code), 'invalid_grant')
  })

  it('a code is bound to its client, redirect URI, verifier and resource', async () => {
    const { clientId, code } = await codeFor()
    const other = await registerClient(t)
    expectOAuthError(await exchange(t, other.clientId, code), 'invalid_grant')
    expectOAuthError(
      await exchange(t, clientId, code, { redirect_uri: 'http://127.0.0.1:7777/other' }),
      'invalid_grant',
    )
    expectOAuthError(
      await exchange(t, clientId, code, { code_verifier: `${VERIFIER.slice(1)}x` }),
      'invalid_grant',
    )
    expectOAuthError(
      await exchange(t, clientId, code, { resource: 'https://other.example' }),
      'invalid_target',
    )
    // none of those used it up
    expect((await exchange(t, clientId, code)).status).toBe(200)
  })

  it('refresh tokens rotate; a used one presented again revokes the grant', async () => {
    const { user, clientId, code } = await codeFor()
    const first = await exchange(t, clientId, code)
    t.clock.advance(5_000)
    const second = await tokenRequest(t, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: first.body.refresh_token,
    })
    expect(second.status).toBe(200)
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token)
    expect(second.body.access_token).not.toBe(first.body.access_token)
    const third = await tokenRequest(t, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: second.body.refresh_token,
    })
    expect(third.status).toBe(200)
    // reuse of the first one: the whole grant goes, the newest refresh token with it
    expectOAuthError(
      await tokenRequest(t, {
        grant_type: 'refresh_token',
        client_id: clientId,
        refresh_token: first.body.refresh_token,
      }),
      'invalid_grant',
    )
    expect((await keyOf(user.token))?.status).toBe('revoked')
    expectOAuthError(
      await tokenRequest(t, {
        grant_type: 'refresh_token',
        client_id: clientId,
        refresh_token: third.body.refresh_token,
      }),
      'invalid_grant',
    )
  })

  it('refresh tokens and client secrets are stored only as hashes', async () => {
    const user = await register(t.app)
    const { clientId, secret } = await registerClient(t, {
      token_endpoint_auth_method: 'client_secret_basic',
    })
    expect(secret).toMatch(/^crumb_cs_/)
    const { code: code2 } = await authorizeAndDecide(t, user.token, authorizeQuery(clientId))
    const tokens = await tokenRequest(
      t,
      {
        grant_type: 'authorization_code',
        code: code2 ?? '',
        code_verifier: VERIFIER,
        redirect_uri: REDIRECT,
      },
      [clientId, secret ?? ''],
    )
    expect(tokens.status).toBe(200)
    const tables = [
      'oauth_clients',
      'oauth_refresh_tokens',
      'oauth_authorizations',
      'oauth_grants',
      'keys',
      'audit_events',
    ]
    const rows = await Promise.all(tables.map((table) => t.rawQuery(`SELECT * FROM ${table}`)))
    expect(rows.every((r) => r.length > 0)).toBe(true)
    const dump = JSON.stringify(rows)
    for (const s of [secret, tokens.body.refresh_token, code2, tokens.body.access_token]) {
      expect(s).toBeTypeOf('string')
      expect(dump).not.toContain(s)
    }
    // a wrong secret, or the secret sent the way it did not register, is invalid_client (401)
    const wrong = await tokenRequest(
      t,
      { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token },
      [clientId, `${secret}x`],
    )
    expectOAuthError(wrong, 'invalid_client', 401)
    const posted = await tokenRequest(t, {
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token,
      client_id: clientId,
      client_secret: secret ?? '',
    })
    expectOAuthError(posted, 'invalid_client', 401)
  })

  it('the registration and token endpoints are rate-limited per address (429, Retry-After)', async () => {
    t.app.service.config satisfies object
    const limits = t.app.service.limits
    for (let i = 0; i < t.config.oauthRegisterLimit; i++) limits.oauthRegister.hit('ip:127.0.0.1')
    const reg = await request(t.app)
      .post('/oauth/register')
      .send({ redirect_uris: [REDIRECT] })
    expectOAuthError(reg, 'temporarily_unavailable', 429)
    expect(Number(reg.headers['retry-after'])).toBeGreaterThan(0)
    for (let i = 0; i < t.config.oauthTokenLimit; i++) limits.oauthToken.hit('ip:127.0.0.1')
    const tok = await tokenRequest(t, { grant_type: 'refresh_token', client_id: 'cli_x', refresh_token: 'x' })
    expectOAuthError(tok, 'temporarily_unavailable', 429)
    expect(Number(tok.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('denying sends access_denied with state and iss, and no code', async () => {
    const user = await register(t.app)
    const { clientId } = await registerClient(t)
    const { redirectTo, code } = await authorizeAndDecide(t, user.token, authorizeQuery(clientId), {
      approve: false,
    })
    expect(code).toBeNull()
    expect(Object.fromEntries(redirectTo.searchParams)).toMatchObject({
      error: 'access_denied',
      state: 'st-123',
      iss: 'http://crumb.test',
    })
  })

  it('revoking the grant as a key (API) ends its refresh tokens at once; RFC 7009 revocation does too', async () => {
    const { user, clientId, code } = await codeFor()
    const tokens = await exchange(t, clientId, code)
    const key = await keyOf(user.token)
    await request(t.app)
      .delete(`/v1/tokens/${key?.id}`)
      .set(...bearer(user.token))
      .expect(200)
    expectOAuthError(
      await tokenRequest(t, {
        grant_type: 'refresh_token',
        client_id: clientId,
        refresh_token: tokens.body.refresh_token,
      }),
      'invalid_grant',
    )
    const again = await codeFor()
    const t2 = await exchange(t, again.clientId, again.code)
    const revoked = await request(t.app)
      .post('/oauth/revoke')
      .type('form')
      .send({ token: t2.body.access_token, client_id: again.clientId })
    expect(revoked.status).toBe(200)
    expect((await keyOf(again.user.token))?.status).toBe('revoked')
    expectOAuthError(
      await tokenRequest(t, {
        grant_type: 'refresh_token',
        client_id: again.clientId,
        refresh_token: t2.body.refresh_token,
      }),
      'invalid_grant',
    )
  })

  it('a grant does not count for last-key protection: the login key stays protected, the grant can go', async () => {
    const { user, clientId, code } = await codeFor({ orgs: ['acme'], readOnly: true })
    expect((await exchange(t, clientId, code)).status).toBe(200)
    const grant = await keyOf(user.token)
    expect(grant).toMatchObject({ source: 'oauth', status: 'active' })
    // the grant cannot manage the account: revoking the only login key would lock the user out
    expectProblem(await api(t.app, user.token).delete(`/v1/tokens/${user.keyId}`), 409, 'last_key_protected')
    await api(t.app, user.token).delete(`/v1/tokens/${grant?.id}`).expect(200)
    expect((await keyOf(user.token))?.status).toBe('revoked')
  })
})
