import request from 'supertest'
import { expect } from 'vitest'
import { authenticateToken, decideAuthorization, s256Challenge } from '../../../src/service/index.js'
import type { TestService } from '../helpers.js'

/**
 * Shortcuts for the OAuth endpoint tests: register a client, run an authorization request up to
 * its code (the consent decided through the service, as the dashboard's form would), exchange it.
 */

export const RESOURCE = 'https://deploy.example'
export const REDIRECT = 'http://127.0.0.1:7777/callback'
export const VERIFIER = 'v'.repeat(20) + 'A'.repeat(23)

/** Registers a public client (or a confidential one with `method`); returns its id and secret. */
export async function registerClient(
  t: TestService,
  body: Record<string, unknown> = {},
): Promise<{ clientId: string; secret: string | undefined }> {
  const res = await request(t.app)
    .post('/oauth/register')
    .send({ redirect_uris: [REDIRECT], client_name: 'Test app', ...body })
  expect(res.status).toBe(201)
  return { clientId: res.body.client_id as string, secret: res.body.client_secret as string | undefined }
}

/** The query of an authorization request, with every required parameter (override or drop with undefined). */
export function authorizeQuery(
  clientId: string,
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const q: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: s256Challenge(VERIFIER),
    code_challenge_method: 'S256',
    state: 'st-123',
    scope: 'read deploy',
    resource: RESOURCE,
    ...overrides,
  }
  return Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined))
}

/** The consent of the test: narrowing as given (default none), 30 days. */
export interface Consent {
  readonly orgs?: readonly string[] | null
  readonly apps?: readonly string[] | null
  readonly readOnly?: boolean
  readonly approve?: boolean
  readonly lifetimeMs?: number
}

/**
 * Runs `GET /oauth/authorize`, then decides its consent as the user of `userToken`; returns where
 * the browser is sent (with `code`, `state`, `iss`) and the code.
 */
export async function authorizeAndDecide(
  t: TestService,
  userToken: string,
  query: Record<string, string>,
  consent: Consent = {},
): Promise<{ redirectTo: URL; code: string | null; requestId: string }> {
  const res = await request(t.app).get('/oauth/authorize').query(query)
  expect(res.status).toBe(303)
  const location = new URL(res.headers.location as string, 'http://crumb.test')
  expect(location.pathname).toBe('/oauth/consent')
  const requestId = location.searchParams.get('request') ?? ''
  const caller = await authenticateToken(t.app.service, userToken, { op: 'write' })
  const decided = await decideAuthorization(
    t.app.service,
    caller,
    requestId,
    {
      approve: consent.approve ?? true,
      orgs: consent.orgs ?? null,
      apps: consent.apps ?? null,
      readOnly: consent.readOnly ?? false,
      lifetimeMs: consent.lifetimeMs ?? 30 * 86_400_000,
    },
    'http://crumb.test',
  )
  const redirectTo = new URL(decided.redirectTo)
  return { redirectTo, code: redirectTo.searchParams.get('code'), requestId }
}

/** `POST /oauth/token` with a form body. */
export function tokenRequest(t: TestService, form: Record<string, string>, basic?: [string, string]) {
  const r = request(t.app).post('/oauth/token').type('form')
  if (basic !== undefined) r.auth(basic[0], basic[1])
  return r.send(form)
}

/** Exchanges a code (the defaults of {@link authorizeQuery}). */
export function exchange(t: TestService, clientId: string, code: string, extra: Record<string, string> = {}) {
  return tokenRequest(t, {
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    code_verifier: VERIFIER,
    redirect_uri: REDIRECT,
    resource: RESOURCE,
    ...extra,
  })
}

/** Asserts an RFC 6749 error answer: JSON `{error, error_description}`, the status, no-store. */
export function expectOAuthError(res: request.Response, error: string, status = 400): void {
  expect({ status: res.status, error: res.body.error }).toEqual({ status, error })
  expect(typeof res.body.error_description).toBe('string')
  expect(res.headers['content-type']).toMatch(/^application\/json/)
  expect(res.headers['cache-control']).toBe('no-store')
}
