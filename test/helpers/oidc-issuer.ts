import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'

/**
 * A real OIDC issuer on loopback for the workload identity tests (#20): an HTTP server serving
 * `/.well-known/openid-configuration` and a JWKS, signing ID tokens with jose, shaped like GitHub
 * Actions' (`sub = repo:acme/web:ref:refs/heads/main`, `repository`, `ref`, `workflow`, `run_id`,
 * `jti` …). Keys rotate; the server can also be down, hang, or answer garbage or 10 MB.
 */

/** How the issuer answers its two documents. */
export type IssuerMode = 'ok' | 'garbage' | 'huge' | 'huge-declared' | 'hang' | 'error' | 'wrong-issuer'

/** A signing key of the issuer. */
export interface IssuerKey {
  readonly kid: string
  readonly alg: 'RS256' | 'ES256'
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
  /** The public key as SPKI PEM (what an HS256 confusion attack signs with). */
  readonly publicPem: string
}

/** Bytes of the `huge` answers. */
export const HUGE_BYTES = 10 * 1024 * 1024

async function makeKey(alg: 'RS256' | 'ES256'): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) }
}

/** A running issuer. */
export interface OidcIssuer {
  /** `http://127.0.0.1:PORT` — the `iss` of its tokens. */
  readonly issuer: string
  /** How it answers; change at will. */
  mode: IssuerMode
  /** The key new tokens are signed with. */
  readonly signingKey: IssuerKey
  /** Keys the JWKS publishes. */
  readonly published: IssuerKey[]
  /** Requests for the JWKS so far. */
  readonly jwksRequests: number
  /** Bytes of `huge` answers written to sockets so far. */
  readonly hugeBytesSent: number
  /** A GitHub Actions-shaped ID token, signed by the signing key; `claims` override or add (undefined removes). */
  sign(
    claims?: Record<string, unknown>,
    options?: { key?: IssuerKey; header?: Record<string, unknown> },
  ): Promise<string>
  /** A new key of `alg`, made the signing key; `publish: false` keeps it out of the JWKS until {@link publish}. */
  rotate(options?: { alg?: 'RS256' | 'ES256'; publish?: boolean }): Promise<IssuerKey>
  /** Puts a key into the JWKS. */
  publish(key: IssuerKey): void
  /** A key the issuer never publishes (for bad signatures). */
  strayKey(alg?: 'RS256' | 'ES256'): Promise<IssuerKey>
  /** Stops listening (the issuer is down: connections are refused). */
  stop(): Promise<void>
}

/** The claims of a GitHub Actions ID token for a push to main of acme/web, at `now` (seconds). */
export function githubClaims(issuer: string, audience: string, now: number): JWTPayload {
  return {
    iss: issuer,
    aud: audience,
    sub: 'repo:acme/web:ref:refs/heads/main',
    repository: 'acme/web',
    repository_owner: 'acme',
    repository_id: '4242',
    ref: 'refs/heads/main',
    ref_type: 'branch',
    sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    workflow: 'deploy',
    job_workflow_ref: 'acme/web/.github/workflows/deploy.yml@refs/heads/main',
    event_name: 'push',
    actor: 'octocat',
    run_id: '9876543210',
    run_number: '17',
    run_attempt: '1',
    runner_environment: 'github-hosted',
    jti: randomUUID(),
    iat: now,
    nbf: now - 5,
    exp: now + 300,
  }
}

/**
 * Starts an issuer on 127.0.0.1 (an ephemeral port) with one RS256 and one ES256 key; tokens are
 * signed with the RS256 one. `audience` is the default `aud` of {@link OidcIssuer.sign}.
 *
 * @example
 * const idp = await startOidcIssuer({ audience: 'https://crumb.test' })
 * const idToken = await idp.sign({ ref: 'refs/heads/dev' })
 * await idp.stop()
 */
export async function startOidcIssuer(options: {
  audience: string
  now?: () => number
}): Promise<OidcIssuer> {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const rs = await makeKey('RS256')
  const es = await makeKey('ES256')
  let issuer = ''
  let jwksRequests = 0
  let hugeBytesSent = 0
  const state = { mode: 'ok' as IssuerMode, signingKey: rs, published: [rs, es] }

  const writeHuge = async (res: ServerResponse, declared: boolean): Promise<void> => {
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(declared ? { 'content-length': String(HUGE_BYTES) } : {}),
    })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    chunk[0] = 0x7b // '{' then spaces: valid-looking JSON that never ends in time
    for (let sent = 0; sent < HUGE_BYTES && !res.destroyed; sent += chunk.length) {
      const ok = res.write(sent === 0 ? chunk : chunk.fill(0x20))
      hugeBytesSent += chunk.length
      if (!ok)
        await new Promise<void>((resolve) => {
          // whichever comes first removes both: a listener left per wait piles up on the response
          const done = (): void => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.once('drain', done)
          res.once('close', done)
        })
    }
    res.end()
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const isDiscovery = path === '/.well-known/openid-configuration'
    const isJwks = path === '/jwks'
    if (!isDiscovery && !isJwks) {
      res.writeHead(404).end()
      return
    }
    if (isJwks) jwksRequests += 1
    switch (state.mode) {
      case 'hang':
        return // never answers; the client's deadline must end it
      case 'error':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error')
        return
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>{not json')
        return
      case 'huge':
      case 'huge-declared':
        void writeHuge(res, state.mode === 'huge-declared')
        return
      default:
    }
    const body = isDiscovery
      ? {
          issuer: state.mode === 'wrong-issuer' ? 'https://evil.example' : issuer,
          jwks_uri: `${issuer}/jwks`,
          subject_types_supported: ['public', 'pairwise'],
          response_types_supported: ['id_token'],
          id_token_signing_alg_values_supported: ['RS256'],
          claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository'],
        }
      : { keys: state.published.map((k) => k.publicJwk) }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }

  const server: Server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    get issuer() {
      return issuer
    },
    get mode() {
      return state.mode
    },
    set mode(mode: IssuerMode) {
      state.mode = mode
    },
    get signingKey() {
      return state.signingKey
    },
    get published() {
      return state.published
    },
    get jwksRequests() {
      return jwksRequests
    },
    get hugeBytesSent() {
      return hugeBytesSent
    },
    async sign(claims = {}, signOptions = {}) {
      const key = signOptions.key ?? state.signingKey
      const payload: Record<string, unknown> = { ...githubClaims(issuer, options.audience, now()), ...claims }
      for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name]
      return new SignJWT(payload as JWTPayload)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...signOptions.header })
        .sign(key.privateKey)
    },
    async rotate(rotateOptions = {}) {
      const key = await makeKey(rotateOptions.alg ?? 'RS256')
      state.signingKey = key
      if (rotateOptions.publish !== false) state.published = [...state.published, key]
      return key
    },
    publish(key) {
      state.published = [...state.published, key]
    },
    strayKey(alg = 'RS256') {
      return makeKey(alg)
    },
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
