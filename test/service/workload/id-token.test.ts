import { SignJWT, UnsecuredJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CrumbError } from '../../../src/errors.js'
import { IdTokenVerifier, peekIssuer } from '../../../src/service/workload/id-token.js'
import { HUGE_BYTES, type OidcIssuer, startOidcIssuer } from '../../helpers/oidc-issuer.js'

// #20: every bad ID token the issue lists, against the verification module and a real issuer on loopback.

const AUDIENCE = 'https://crumb.test'

let idp: OidcIssuer
let clock: number
let verifier: IdTokenVerifier

function makeVerifier(
  options: Partial<ConstructorParameters<typeof IdTokenVerifier>[0]> = {},
): IdTokenVerifier {
  return new IdTokenVerifier({
    allowLoopbackIssuers: true,
    fetchTimeoutMs: 1_000,
    now: () => clock,
    ...options,
  })
}

beforeEach(async () => {
  clock = Date.now()
  idp = await startOidcIssuer({ audience: AUDIENCE, now: () => Math.floor(clock / 1000) })
  verifier = makeVerifier()
})

afterEach(async () => {
  await idp.stop()
})

/** The CrumbError code a promise rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof CrumbError) return error.code
    throw error
  }
  return 'accepted'
}

function verify(idToken: string, audience: string = AUDIENCE): Promise<unknown> {
  return verifier.verify(idToken, { issuer: idp.issuer, audience })
}

describe('ID token verification (#20)', () => {
  it('accepts a GitHub Actions-shaped token signed with RS256 and returns its claims', async () => {
    const claims = await verifier.verify(await idp.sign(), { issuer: idp.issuer, audience: AUDIENCE })
    expect(claims.sub).toBe('repo:acme/web:ref:refs/heads/main')
    expect(claims.repository).toBe('acme/web')
    expect(claims.ref).toBe('refs/heads/main')
    expect(typeof claims.jti).toBe('string')
  })

  it('accepts ES256 too, and any one of several audiences', async () => {
    const es = idp.published.find((k) => k.alg === 'ES256')
    const token = await idp.sign({}, es === undefined ? {} : { key: es })
    const claims = await verifier.verify(token, { issuer: idp.issuer, audience: ['https://other', AUDIENCE] })
    expect(claims.aud).toBe(AUDIENCE)
  })

  it('caches the keys: a second token costs no fetch', async () => {
    await verify(await idp.sign())
    await verify(await idp.sign())
    expect(idp.jwksRequests).toBe(1)
  })

  it('refuses a wrong audience and a wrong issuer', async () => {
    expect(await codeOf(verify(await idp.sign(), 'https://elsewhere.test'))).toBe('invalid_token')
    expect(await codeOf(verify(await idp.sign({ iss: 'https://token.actions.githubusercontent.com' })))).toBe(
      'invalid_token',
    )
  })

  it('refuses an expired token, beyond the leeway only', async () => {
    const now = Math.floor(clock / 1000)
    expect(await codeOf(verify(await idp.sign({ exp: now - 120, iat: now - 600, nbf: now - 600 })))).toBe(
      'invalid_token',
    )
    expect(await codeOf(verify(await idp.sign({ exp: now - 30, iat: now - 600, nbf: now - 600 })))).toBe(
      'accepted',
    )
  })

  it('refuses a token not yet valid (nbf) or issued in the future (iat)', async () => {
    const now = Math.floor(clock / 1000)
    expect(await codeOf(verify(await idp.sign({ nbf: now + 600, exp: now + 900 })))).toBe('invalid_token')
    expect(await codeOf(verify(await idp.sign({ iat: now + 600, nbf: undefined, exp: now + 900 })))).toBe(
      'invalid_token',
    )
  })

  it('refuses a token without jti, exp or iat', async () => {
    for (const missing of ['jti', 'exp', 'iat']) {
      expect(await codeOf(verify(await idp.sign({ [missing]: undefined })))).toBe('invalid_token')
    }
  })

  it('refuses a bad signature (a key the issuer never published, under a published kid)', async () => {
    const stray = await idp.strayKey('RS256')
    const token = await idp.sign({}, { key: stray, header: { kid: idp.signingKey.kid } })
    expect(await codeOf(verify(token))).toBe('invalid_token')
    // and a published token with its payload swapped
    const [h, , s] = (await idp.sign()).split('.')
    const forged = Buffer.from(JSON.stringify({ ...(await claimsOf(idp)), repository: 'evil/web' })).toString(
      'base64url',
    )
    expect(await codeOf(verify(`${h}.${forged}.${s}`))).toBe('invalid_token')
  })

  it('refuses alg none', async () => {
    const token = new UnsecuredJWT(await claimsOf(idp)).encode()
    expect(await codeOf(verify(token))).toBe('invalid_token')
  })

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const key = idp.signingKey
    const token = await new SignJWT(await claimsOf(idp))
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .sign(new TextEncoder().encode(key.publicPem))
    expect(await codeOf(verify(token))).toBe('invalid_token')
  })

  it('refuses an alg its key does not have (ES256 header over an RSA kid)', async () => {
    const ec = await idp.strayKey('ES256')
    const token = await idp.sign({}, { key: ec, header: { kid: idp.signingKey.kid } })
    expect(await codeOf(verify(token))).toBe('invalid_token')
  })

  it('refuses an unknown kid, refetches at most once a minute, and accepts once the issuer rotates', async () => {
    await verify(await idp.sign()) // keys fetched at t0
    expect(idp.jwksRequests).toBe(1)
    const next = await idp.rotate({ publish: false })
    expect(await codeOf(verify(await idp.sign()))).toBe('invalid_token')
    expect(idp.jwksRequests).toBe(1) // fetched less than a minute ago: no refetch
    clock += 61_000
    expect(await codeOf(verify(await idp.sign()))).toBe('invalid_token')
    expect(idp.jwksRequests).toBe(2) // one refetch for the unknown kid, which is still not published
    idp.publish(next)
    for (let i = 0; i < 5; i++) expect(await codeOf(verify(await idp.sign()))).toBe('invalid_token')
    expect(idp.jwksRequests).toBe(2) // within the minute: no refetch, however many tokens come
    clock += 61_000
    expect(await codeOf(verify(await idp.sign()))).toBe('accepted')
    expect(idp.jwksRequests).toBe(3)
    expect(await codeOf(verify(await idp.sign()))).toBe('accepted')
    expect(idp.jwksRequests).toBe(3)
  })

  it('answers invalid_token when the issuer is down', async () => {
    const token = await idp.sign()
    await idp.stop()
    expect(await codeOf(verify(token))).toBe('invalid_token')
    idp = await startOidcIssuer({ audience: AUDIENCE }) // afterEach stops this one
  })

  it.each(['garbage', 'error', 'wrong-issuer'] as const)(
    'answers invalid_token when the issuer answers %s',
    async (mode) => {
      const token = await idp.sign()
      idp.mode = mode
      expect(await codeOf(verify(token))).toBe('invalid_token')
    },
  )

  it('answers invalid_token, within the deadline, when the issuer hangs', async () => {
    const token = await idp.sign()
    idp.mode = 'hang'
    verifier = makeVerifier({ fetchTimeoutMs: 300 })
    const started = Date.now()
    expect(await codeOf(verify(token))).toBe('invalid_token')
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('refuses a 10 MB document without reading it all (streamed, then declared)', async () => {
    const token = await idp.sign()
    idp.mode = 'huge'
    expect(await codeOf(verify(token))).toBe('invalid_token')
    // the reader hung up long before the end: what was written is the cap plus what the kernel buffers
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(idp.hugeBytesSent).toBeLessThan(HUGE_BYTES / 2)
    idp.mode = 'huge-declared'
    expect(await codeOf(verify(token))).toBe('invalid_token')
  })

  it('refuses an http issuer unless loopback issuers are allowed', async () => {
    verifier = makeVerifier({ allowLoopbackIssuers: false })
    expect(await codeOf(verify(await idp.sign()))).toBe('invalid_token')
    expect(idp.jwksRequests).toBe(0)
  })

  it('refuses garbage and oversized tokens before any fetch', async () => {
    expect(await codeOf(verify('not.a.jwt'))).toBe('invalid_token')
    expect(await codeOf(verify('x'.repeat(20_000)))).toBe('invalid_token')
    expect(idp.jwksRequests).toBe(0)
  })
})

describe('peekIssuer (#20)', () => {
  it('reads iss without verifying, and refuses what is not a JWT', async () => {
    expect(peekIssuer(await idp.sign())).toBe(idp.issuer)
    for (const bad of ['', 'abc', 'a.b.c', 'x'.repeat(20_000)]) {
      expect(() => peekIssuer(bad)).toThrow(CrumbError)
    }
  })
})

/** The claims of a fresh token of the issuer (for hand-built tokens). */
async function claimsOf(issuer: OidcIssuer): Promise<Record<string, unknown>> {
  const [, payload] = (await issuer.sign()).split('.')
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}
