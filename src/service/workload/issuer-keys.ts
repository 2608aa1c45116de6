import { createLocalJWKSet, errors, type FlattenedJWSInput, type JWTHeaderParameters } from 'jose'
import * as z from 'zod'
import { type FetchLimits, fetchJson } from './fetch-json.js'
import { issuerUrlProblem } from './issuer-url.js'

/**
 * The signing keys of one OIDC issuer: its discovery document
 * (`<issuer>/.well-known/openid-configuration`) names the JWKS, both are fetched with
 * {@link fetchJson}'s limits and cached for `cacheMaxAgeMs`. A token whose `kid` is not in the cached
 * set makes one refetch, at most once per `refetchIntervalMs` (so tokens with made-up kids cannot
 * make crumb hammer the issuer); concurrent reloads share one fetch.
 *
 * Hand-written around jose's `createLocalJWKSet` rather than `createRemoteJWKSet` because the remote
 * set buffers a whole answer (no byte cap), reads `Date.now()` (the refetch rule could not be tested
 * with a clock) and lets failed fetches be retried on every request.
 */

/** A discovery document: only the members crumb uses. */
const discoverySchema = z.looseObject({ issuer: z.string(), jwks_uri: z.string() })

/** A JWK Set: a bounded list of keys (jose checks each key when it is used). */
const jwksSchema = z.looseObject({ keys: z.array(z.looseObject({ kty: z.string() })).max(100) })

/** Options of an {@link IssuerKeys}. */
export interface IssuerKeysOptions {
  /** The issuer, exactly as tokens name it in `iss` (and as its discovery document must). */
  readonly issuer: string
  readonly allowLoopback: boolean
  readonly limits: FetchLimits
  /** How long a fetched key set is used before it is fetched again. */
  readonly cacheMaxAgeMs: number
  /** Least time between two fetches caused by an unknown `kid`. */
  readonly refetchIntervalMs: number
  /** Milliseconds since the epoch. */
  readonly now: () => number
}

/** The key-lookup function jose's `jwtVerify` takes. */
export type KeyLookup = (
  header: JWTHeaderParameters,
  token: FlattenedJWSInput,
) => Promise<CryptoKey | Uint8Array>

/**
 * A remote issuer's keys failed to load: it is down, slow, or answered something that is not a
 * discovery document or a key set.
 *
 * @example
 * catch (e) { if (e instanceof IssuerUnavailableError) … } // → 401 invalid_token, never a 5xx
 */
export class IssuerUnavailableError extends Error {
  override readonly name = 'IssuerUnavailableError'
}

/**
 * One issuer's keys, as a jose key-lookup function.
 *
 * @example
 * const keys = new IssuerKeys({ issuer, allowLoopback: false, limits, cacheMaxAgeMs: 600_000,
 *   refetchIntervalMs: 60_000, now: Date.now })
 * await jwtVerify(idToken, keys.lookup, { issuer, audience })
 */
export class IssuerKeys {
  readonly #options: IssuerKeysOptions
  #local: ReturnType<typeof createLocalJWKSet> | undefined
  #fetchedAt = Number.NEGATIVE_INFINITY
  #attemptedAt = Number.NEGATIVE_INFINITY
  #pending: Promise<void> | undefined

  constructor(options: IssuerKeysOptions) {
    this.#options = options
  }

  /** How many times the key set was fetched (for tests and logs). */
  fetches = 0

  /** The key-lookup function to hand to `jwtVerify`. */
  readonly lookup: KeyLookup = async (header, token) => {
    const { now, cacheMaxAgeMs, refetchIntervalMs } = this.#options
    if (this.#local === undefined || now() - this.#fetchedAt >= cacheMaxAgeMs) await this.#reload()
    const local = this.#local
    if (local === undefined) throw new IssuerUnavailableError('the issuer has no keys loaded')
    try {
      return await local(header, token)
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error
      if (now() - this.#attemptedAt < refetchIntervalMs) throw error
      await this.#reload()
      return (this.#local ?? local)(header, token)
    }
  }

  #reload(): Promise<void> {
    this.#pending ??= this.#load().finally(() => {
      this.#pending = undefined
    })
    return this.#pending
  }

  async #load(): Promise<void> {
    const { issuer, limits, allowLoopback, now } = this.#options
    this.#attemptedAt = now()
    this.fetches += 1
    const issuerProblem = issuerUrlProblem(issuer, { allowLoopback })
    if (issuerProblem !== undefined) throw new IssuerUnavailableError(`the issuer URL ${issuerProblem}`)
    const base = issuer.endsWith('/') ? issuer : `${issuer}/`
    const discovery = discoverySchema.safeParse(
      await fetchJson(new URL('.well-known/openid-configuration', base), limits),
    )
    if (!discovery.success) throw new IssuerUnavailableError(`${issuer} has no usable discovery document`)
    // OpenID Connect Discovery 1.0, section 4.3: the document's issuer is exactly the one asked.
    if (discovery.data.issuer !== issuer) {
      throw new IssuerUnavailableError(`${issuer}'s discovery document names another issuer`)
    }
    const problem = issuerUrlProblem(discovery.data.jwks_uri, { allowLoopback })
    if (problem !== undefined) throw new IssuerUnavailableError(`${issuer}'s jwks_uri ${problem}`)
    const jwks = jwksSchema.safeParse(await fetchJson(new URL(discovery.data.jwks_uri), limits))
    if (!jwks.success) throw new IssuerUnavailableError(`${issuer} serves no usable JWK Set`)
    try {
      this.#local = createLocalJWKSet(jwks.data as Parameters<typeof createLocalJWKSet>[0])
    } catch (cause) {
      throw new IssuerUnavailableError(`${issuer} serves a malformed JWK Set`, { cause })
    }
    this.#fetchedAt = now()
  }
}
