import {
  type CaveatRegistry,
  type Dimension,
  defaultRegistry,
  effectiveScope,
  type RequestContext,
} from '../../caveats/index.js'
import { CrumbError } from '../errors.js'
import { digestBytes } from '../macaroon/crypto.js'
import { LIMITS } from '../macaroon/limits.js'
import { verifyMacaroon } from '../macaroon/verify.js'
import { type Check, compileCaveats, failedCheck } from './caveat-checks.js'
import { cachedChain, rememberChain, type VerifiedChain } from './chain-cache.js'
import { caveatTexts, claimsOf, type TokenClaims } from './claims.js'
import { decodeTokenList } from './format.js'
import { decodeIdentifier } from './identifier.js'
import { type KeyRing, rootKeyFor } from './keyring.js'
import { type RevocationList, revocationIdOf } from './revocation.js'

/** What the request declares about itself (absent = not declared: caveats on it fail). */
export type RequestFacts = { readonly [K in 'org' | 'app' | 'op' | 'device' | 'ip']?: string | undefined }

/** Options of verifyToken. */
export interface VerifyTokenOptions {
  readonly keys: KeyRing
  readonly revocations?: RevocationList
  readonly request?: RequestFacts
  /**
   * The verifying service's audience (canonical: see `canonicalAudience`), against which `aud`
   * caveats are checked; without one, a token naming an audience is refused.
   */
  readonly audience?: string | undefined
  readonly now?: Date
  /** Clock-skew allowance for expires / not-before (default 30 s). */
  readonly leewayMs?: number
  readonly registry?: CaveatRegistry
  /**
   * Dimensions checked later, per route, with `authorizeScope` (the middleware verifies once,
   * then each route names its org / app / op). Their caveats still parse and still narrow scope.
   */
  readonly deferred?: ReadonlySet<Dimension>
  /**
   * Remember verified token strings so repeats skip the HMAC chain (default true). The memory is
   * bounded in bytes (2 MiB, tokens over 4 KiB never kept): see chain-cache.ts.
   */
  readonly cache?: boolean
}

export const DEFAULT_LEEWAY_MS = 30_000

/** Decodes and checks the signature chain (the expensive, cacheable part). */
function verifyChain(tokens: string | readonly string[], keys: KeyRing): VerifiedChain {
  const [primary, ...discharges] = decodeTokenList(tokens)
  const id = decodeIdentifier(primary.identifierText)
  const rootKey = rootKeyFor(keys, id.kid, primary.identifier)
  const prefixSignatures: string[] = []
  // Signatures only: the caveats are judged below, once, by the registry. The prefix signatures
  // are kept as the digest strings the chain made (bytes only if a revocation check needs them).
  verifyMacaroon(
    primary.data,
    rootKey,
    undefined,
    discharges.length === 0 ? [] : discharges.map((d) => d.data),
    (sig) => {
      prefixSignatures.push(sig)
    },
  )
  return {
    id,
    prefixSignatures,
    signature: primary.signature,
    primaryCaveats: caveatTexts(primary),
    dischargeCaveats: discharges.map(caveatTexts),
  }
}

function isRevoked(
  chain: VerifiedChain,
  revocations: RevocationList | undefined,
  now: Date | undefined,
): boolean {
  const known = revocations?.lookup(chain.id.tokenId, now)
  if (known === undefined) return false
  if (known === 'revoked') return true
  // Hashing happens only for token ids that have per-token entries.
  return chain.prefixSignatures.some((sig) => known.has(revocationIdOf(digestBytes(sig))))
}

const INDEX_TEXTS: string[] = []
/** `String(i)` for caveat indexes, made once each (every verification names its caveats). */
function indexText(i: number): string {
  let text = INDEX_TEXTS[i]
  if (text === undefined) {
    text = String(i)
    if (i <= LIMITS.maxCaveats) INDEX_TEXTS[i] = text
  }
  return text
}

/** The request facts plus clock and leeway, built by assignment (a spread costs more on this path). */
function requestContext(options: VerifyTokenOptions): RequestContext {
  const r = options.request
  const ctx: RequestContext = {
    now: options.now ?? new Date(),
    leewayMs: options.leewayMs ?? DEFAULT_LEEWAY_MS,
  }
  if (r?.org !== undefined) ctx.org = r.org
  if (r?.app !== undefined) ctx.app = r.app
  if (r?.op !== undefined) ctx.op = r.op
  if (r?.device !== undefined) ctx.device = r.device
  if (r?.ip !== undefined) ctx.ip = r.ip
  if (options.audience !== undefined) ctx.aud = options.audience
  return ctx
}

/**
 * Verifies a crumb token (plus any discharges) locally: signature chain under the key ring,
 * revocation list (token id, then each prefix of the chain), then every caveat against the
 * request. Returns typed claims or throws a CrumbError whose `code` is one of DESIGN.md's.
 *
 * @example
 * const claims = verifyToken(header, { keys: ring, revocations, request: { org: 'acme', app: 'web', op: 'deploy' } })
 */
export function verifyToken(tokens: string | readonly string[], options: VerifyTokenOptions): TokenClaims {
  return verifyTokenChecked(tokens, options).claims
}

/** A verified token's claims and the caveat checks it passed (the non-deferred ones, indexed as in errors). */
export interface CheckedToken {
  readonly claims: TokenClaims
  /** Re-runnable against a later request: what the middleware's memo re-checks on reuse. */
  readonly checks: readonly Check[]
}

/**
 * `verifyToken`, also returning the compiled caveat checks, so a caller that remembers the token
 * need not parse its caveats again.
 *
 * @example
 * const { claims, checks } = verifyTokenChecked(token, { keys: ring, deferred })
 */
export function verifyTokenChecked(
  tokens: string | readonly string[],
  options: VerifyTokenOptions,
): CheckedToken {
  const cache = options.cache !== false
  const key = typeof tokens === 'string' ? tokens : tokens.join(',')
  let chain = cache ? cachedChain(key, options.keys) : undefined
  if (chain === undefined) {
    // The chain is verified before anything else is judged, so a forged token learns nothing
    // about revocation or scope.
    chain = verifyChain(tokens, options.keys)
    if (cache) rememberChain(key, options.keys, chain)
  }

  if (isRevoked(chain, options.revocations, options.now))
    throw new CrumbError('token_revoked', 'token has been revoked')

  const ctx: RequestContext = requestContext(options)
  const indexed: [string, string][] = []
  for (let i = 0; i < chain.primaryCaveats.length; i++) indexed.push([indexText(i), chain.primaryCaveats[i]!])
  for (const [di, texts] of chain.dischargeCaveats.entries()) {
    for (const [i, t] of texts.entries()) indexed.push([`${di + 1}.${i}`, t])
  }
  const compiled = compileCaveats(indexed, options.registry ?? defaultRegistry(), options.deferred)
  const failure = failedCheck(compiled.checks, ctx)
  // An expiry is reported first; otherwise a caveat that does not parse fails closed.
  if (failure?.code === 'token_expired') throw failure
  if (compiled.unparsed !== undefined) throw compiled.unparsed
  if (failure !== undefined) throw failure

  const claims = claimsOf({
    id: chain.id,
    scope: effectiveScope(compiled.parsed),
    device: ctx.device,
    caveats: chain.primaryCaveats,
    signature: chain.signature,
  })
  return { claims, checks: compiled.checks }
}
