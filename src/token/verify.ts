import {
  type CaveatRegistry,
  type CheckResult,
  type Dimension,
  type ParsedCaveat,
  type RequestContext,
  defaultRegistry,
  effectiveScope,
} from '../../caveats/index.js'
import { CrumbError } from '../errors.js'
import { utf8OrUndefined } from '../macaroon/bytes.js'
import type { Macaroon } from '../macaroon/macaroon.js'
import type { TokenClaims } from './claims.js'
import { decodeTokenList } from './format.js'
import { decodeIdentifier } from './identifier.js'
import { type KeyRing, rootKeyFor } from './keyring.js'
import { type RevocationList, revocationIdOf } from './revocation.js'

/** What the request declares about itself (absent = not declared: caveats on it fail). */
export type RequestFacts = Partial<Pick<RequestContext, 'org' | 'app' | 'op' | 'device' | 'ip'>>

/** Options of verifyToken. */
export interface VerifyTokenOptions {
  readonly keys: KeyRing
  readonly revocations?: RevocationList
  readonly request?: RequestFacts
  readonly now?: Date
  /** Clock-skew allowance for expires / not-before (default 30 s). */
  readonly leewayMs?: number
  readonly registry?: CaveatRegistry
  /**
   * Dimensions checked later, per route, with `authorizeScope` (the middleware verifies once,
   * then each route names its org / app / op). Their caveats still parse and still narrow scope.
   */
  readonly deferred?: ReadonlySet<Dimension>
}

export const DEFAULT_LEEWAY_MS = 30_000
const ALWAYS = (): boolean => true

interface Failure {
  readonly index: string
  readonly text: string
  readonly result: Extract<CheckResult, { ok: false }>
}

function caveatTexts(m: Macaroon): string[] {
  const out: string[] = []
  for (const c of m.caveats) {
    // Third-party caveats are proven by their discharges, not checked as predicates.
    if (c.verificationId === undefined) out.push(utf8OrUndefined(c.identifier) ?? '\uFFFD')
  }
  return out
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
  const [primary, ...discharges] = decodeTokenList(tokens)
  const id = decodeIdentifier(primary.identifierText)
  const rootKey = rootKeyFor(options.keys, id.kid, primary.identifier)

  const pairs = options.revocations?.pairsFor(id.tokenId)
  let revokedPrefix = false
  const observe =
    pairs === undefined
      ? undefined
      : (sig: Uint8Array): void => {
          if (!revokedPrefix && pairs.has(revocationIdOf(sig))) revokedPrefix = true
        }
  // The chain is verified first and caveats judged after, so a forged token learns nothing
  // about revocation or scope.
  primary.verify(rootKey, ALWAYS, discharges, observe)

  if (options.revocations?.isTokenRevoked(id.tokenId) || revokedPrefix) {
    throw new CrumbError('token_revoked', 'token has been revoked')
  }

  const registry = options.registry ?? defaultRegistry()
  const ctx: RequestContext = {
    ...(options.request ?? {}),
    now: options.now ?? new Date(),
    leewayMs: options.leewayMs ?? DEFAULT_LEEWAY_MS,
  }
  const texts = caveatTexts(primary)
  const parsed: ParsedCaveat[] = []
  let failure: Failure | undefined
  const judge = (text: string, index: string): void => {
    let p: ParsedCaveat
    try {
      p = registry.parseCaveat(text)
    } catch {
      failure ??= { index, text, result: { ok: false, code: 'caveat_failed', reason: 'unknown or malformed caveat' } }
      return
    }
    parsed.push(p)
    if (options.deferred?.has(p.kind.dimension)) return
    const result = p.kind.check(p.value, ctx)
    // An expired token is reported as expired even when another caveat also fails.
    if (!result.ok && (failure === undefined || (result.code === 'token_expired' && failure.result.code !== 'token_expired'))) {
      failure = { index, text, result }
    }
  }
  texts.forEach((t, i) => judge(t, String(i)))
  discharges.forEach((d, di) => caveatTexts(d).forEach((t, i) => judge(t, `${di + 1}.${i}`)))
  if (failure !== undefined) {
    const { index, text, result } = failure
    throw new CrumbError(result.code, `caveat ${index} (${text}) failed: ${result.reason}`, {
      caveatIndex: Number.parseInt(index, 10),
      caveat: text,
    })
  }

  const scope = effectiveScope(parsed)
  return {
    userId: id.userId,
    tokenId: id.tokenId,
    kid: id.kid,
    device: ctx.device,
    ops: scope.ops,
    orgs: scope.orgs,
    apps: scope.apps,
    devices: scope.devices,
    expiresAt: scope.expiresAt,
    notBefore: scope.notBefore,
    caveats: texts,
    revocationId: revocationIdOf(primary.signature),
  }
}
