import type { CaveatRegistry, Dimension, ParsedCaveat, RequestContext } from '../../caveats/index.js'
import { CrumbError } from '../errors.js'
import type { RequestFacts } from '../token/verify.js'

/** A caveat to re-check on each request that reuses an earlier verification, with its index. */
export interface Check {
  /** `2` for the primary's third caveat, `1.0` for a discharge's first. */
  readonly index: string
  readonly caveat: ParsedCaveat
}

/**
 * The per-request checks of a verified token: its caveats on dimensions that vary by request
 * (time, device, ip…), leaving out the deferred ones (org / app / op, judged by `require`).
 * Returns undefined when a caveat does not parse with this registry (such a token is not reused).
 *
 * @example
 * const checks = compileChecks([['0', 'expires = 2027-01-01T00:00:00Z']], registry, new Set(['org', 'app', 'op']))
 */
export function compileChecks(
  caveats: readonly (readonly [index: string, text: string])[],
  registry: CaveatRegistry,
  deferred: ReadonlySet<Dimension>,
): Check[] | undefined {
  const checks: Check[] = []
  for (const [index, text] of caveats) {
    let caveat: ParsedCaveat
    try {
      caveat = registry.parseCaveat(text)
    } catch {
      return undefined
    }
    if (!deferred.has(caveat.kind.dimension)) checks.push({ index, caveat })
  }
  return checks
}

/**
 * Runs the checks against a request: undefined when all hold, else the first failure as the
 * CrumbError verification would raise (an expiry is reported before any other failure).
 *
 * @example
 * const failure = failedCheck(checks, { ip: '10.1.2.3' }, new Date(), 30_000)
 * if (failure) throw failure
 */
export function failedCheck(
  checks: readonly Check[],
  facts: RequestFacts,
  now: Date,
  leewayMs: number,
): CrumbError | undefined {
  // Built by assignment, not a spread: this runs on every request that reuses a verification.
  const ctx: RequestContext = { now, leewayMs }
  if (facts.device !== undefined) ctx.device = facts.device
  if (facts.ip !== undefined) ctx.ip = facts.ip
  if (facts.org !== undefined) ctx.org = facts.org
  if (facts.app !== undefined) ctx.app = facts.app
  if (facts.op !== undefined) ctx.op = facts.op
  let failure: CrumbError | undefined
  for (const { index, caveat } of checks) {
    const result = caveat.kind.check(caveat.value, ctx)
    if (result.ok) continue
    if (failure === undefined || (result.code === 'token_expired' && failure.code !== 'token_expired')) {
      failure = new CrumbError(result.code, `caveat ${index} (${caveat.text}) failed: ${result.reason}`, {
        caveatIndex: Number.parseInt(index, 10),
        caveat: caveat.text,
      })
    }
  }
  return failure
}
