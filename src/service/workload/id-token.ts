import { decodeJwt, errors, jwtVerify } from 'jose'
import * as z from 'zod'
import { CrumbError } from '../../errors.js'
import { FetchJsonError } from './fetch-json.js'
import { IssuerKeys, IssuerUnavailableError } from './issuer-keys.js'

/**
 * Verifying a CI job's OIDC ID token (DESIGN.md, "Workload identity") with jose: the signature
 * against the issuer's JWKS (found through OIDC discovery, see {@link IssuerKeys}), RS256 or ES256
 * only (`none`, HS* and an `alg` its key does not have are refused), exact `iss` and `aud`,
 * `exp`/`nbf`/`iat` with a leeway, and a `jti` present (each is exchanged once). Every failure,
 * the issuer being down or answering garbage included, is a `CrumbError('invalid_token')` with
 * the precise reason as its `cause`: never a 5xx.
 */

/** The only signature algorithms accepted (asymmetric, and what GitHub and GitLab use). */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'ES256'] as const

/** Longest ID token accepted, in characters (GitHub's are about 1.5 KB). */
export const MAX_ID_TOKEN_LENGTH = 16_384

/** The claims crumb reads from a verified ID token; the others are kept for conditions. */
const claimsSchema = z.looseObject({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  sub: z.string().optional(),
  jti: z.string().min(1).max(256),
  exp: z.number(),
  iat: z.number(),
  nbf: z.number().optional(),
})

/** A verified ID token's claims. */
export type IdTokenClaims = z.infer<typeof claimsSchema>

/** Options of an {@link IdTokenVerifier}. */
export interface IdTokenVerifierOptions {
  /** Admit http issuers on a loopback host (`CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS=true`). */
  readonly allowLoopbackIssuers: boolean
  /** Deadline of each fetch from an issuer. Default 5 s. */
  readonly fetchTimeoutMs?: number
  /** Largest discovery document or JWKS accepted. Default 128 KiB. */
  readonly maxDocumentBytes?: number
  /** How long an issuer's keys are cached. Default 10 minutes. */
  readonly cacheMaxAgeMs?: number
  /** Least time between two refetches caused by an unknown `kid`. Default one minute. */
  readonly kidRefetchIntervalMs?: number
  /** Leeway on `exp`, `nbf` and `iat`, in seconds. Default 60. */
  readonly clockToleranceSeconds?: number
  /** Oldest `iat` accepted, in seconds. Default one day (GitLab tokens live as long as the job). */
  readonly maxTokenAgeSeconds?: number
  /** Most issuers whose keys are cached at once (the oldest is dropped). Default 256. */
  readonly maxIssuers?: number
  /** Milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number
}

/** What a token must be for: its issuer and the audiences that would do. */
export interface IdTokenExpectation {
  readonly issuer: string
  readonly audience: string | readonly string[]
}

function invalid(message: string, cause?: unknown): CrumbError {
  return new CrumbError('invalid_token', message, cause === undefined ? {} : { cause })
}

/** The reason, in words, for a failure of jose's or of the issuer (never the token itself). */
function reasonOf(error: unknown): string {
  if (error instanceof FetchJsonError || error instanceof IssuerUnavailableError) {
    return `the ID token's issuer could not be used: ${error.message}`
  }
  if (error instanceof errors.JWTExpired) return 'the ID token has expired'
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `the ID token's ${error.claim} claim is not acceptable (${error.reason})`
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the ID token is not signed with RS256 or ES256'
  if (error instanceof errors.JWKSNoMatchingKey)
    return "no key of the issuer matches the ID token's kid and alg"
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return "the ID token's signature does not verify"
  if (error instanceof errors.JOSEError) return `the ID token is not acceptable (${error.code})`
  return 'the ID token could not be verified'
}

/**
 * The `iss` of an ID token, read without verifying it: only to pick the trust policies (and so
 * the issuer) to verify it against. Throws `invalid_token` for anything that is not a JWT.
 *
 * @example
 * peekIssuer(idToken) // 'https://token.actions.githubusercontent.com'
 */
export function peekIssuer(idToken: string): string {
  if (idToken.length > MAX_ID_TOKEN_LENGTH) throw invalid('the ID token is too long')
  let iss: unknown
  try {
    iss = decodeJwt(idToken).iss
  } catch (cause) {
    throw invalid('the ID token is not a JWT', cause)
  }
  if (typeof iss !== 'string' || iss === '') throw invalid('the ID token names no issuer')
  return iss
}

/**
 * Verifies ID tokens from any number of issuers, caching each issuer's keys.
 *
 * @example
 * const verifier = new IdTokenVerifier({ allowLoopbackIssuers: false })
 * const claims = await verifier.verify(idToken, {
 *   issuer: 'https://token.actions.githubusercontent.com', audience: 'https://crumb.example' })
 * claims.repository // 'acme/web'
 */
export class IdTokenVerifier {
  readonly #issuers = new Map<string, IssuerKeys>()
  readonly #options: Required<IdTokenVerifierOptions>

  constructor(options: IdTokenVerifierOptions) {
    this.#options = {
      fetchTimeoutMs: 5_000,
      maxDocumentBytes: 131_072,
      cacheMaxAgeMs: 600_000,
      kidRefetchIntervalMs: 60_000,
      clockToleranceSeconds: 60,
      maxTokenAgeSeconds: 86_400,
      maxIssuers: 256,
      now: Date.now,
      ...options,
    }
  }

  /** The cached keys of an issuer (created on first use). */
  keysOf(issuer: string): IssuerKeys {
    let keys = this.#issuers.get(issuer)
    if (keys === undefined) {
      const o = this.#options
      if (this.#issuers.size >= o.maxIssuers) {
        const oldest = this.#issuers.keys().next()
        if (oldest.done !== true) this.#issuers.delete(oldest.value)
      }
      keys = new IssuerKeys({
        issuer,
        allowLoopback: o.allowLoopbackIssuers,
        limits: { timeoutMs: o.fetchTimeoutMs, maxBytes: o.maxDocumentBytes },
        cacheMaxAgeMs: o.cacheMaxAgeMs,
        refetchIntervalMs: o.kidRefetchIntervalMs,
        now: o.now,
      })
      this.#issuers.set(issuer, keys)
    }
    return keys
  }

  /**
   * The token's claims once it is verified for `expected`; throws `CrumbError('invalid_token')`.
   *
   * @example
   * await verifier.verify(idToken, { issuer, audience: ['https://crumb.example'] })
   */
  async verify(idToken: string, expected: IdTokenExpectation): Promise<IdTokenClaims> {
    if (idToken.length > MAX_ID_TOKEN_LENGTH) throw invalid('the ID token is too long')
    const o = this.#options
    let payload: unknown
    try {
      const result = await jwtVerify(idToken, this.keysOf(expected.issuer).lookup, {
        algorithms: [...ID_TOKEN_ALGORITHMS],
        issuer: expected.issuer,
        audience: typeof expected.audience === 'string' ? expected.audience : [...expected.audience],
        clockTolerance: o.clockToleranceSeconds,
        maxTokenAge: o.maxTokenAgeSeconds,
        requiredClaims: ['exp', 'iat', 'jti'],
        currentDate: new Date(o.now()),
      })
      payload = result.payload
    } catch (error) {
      throw invalid(reasonOf(error), error)
    }
    const claims = claimsSchema.safeParse(payload)
    if (!claims.success) throw invalid("the ID token's claims are malformed", claims.error)
    return claims.data
  }
}
