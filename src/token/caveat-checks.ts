import type { CaveatRegistry, Dimension, ParsedCaveat, RequestContext } from '../../caveats/index.js'
import { CrumbError } from '../errors.js'

/** A caveat to check per request, with its index (`2` in the primary, `1.0` in discharge 1). */
export interface Check {
  readonly index: string
  readonly caveat: ParsedCaveat
}

/** A token's caveats, parsed once: what to check per request, and all of them for the scope. */
export interface CompiledCaveats {
  /** Caveats on dimensions not deferred, in order. */
  readonly checks: readonly Check[]
  /** Every caveat that parsed (deferred ones included: they still narrow the scope). */
  readonly parsed: readonly ParsedCaveat[]
  /** The first caveat that did not parse (unknown kind, malformed value): it fails closed. */
  readonly unparsed: CrumbError | undefined
}

/**
 * Parses indexed caveat texts with the registry and splits off the dimensions checked later
 * (org / app / op, judged per route).
 *
 * @example
 * const compiled = compileCaveats([['0', 'expires = 2027-01-01T00:00:00Z']], registry, new Set(['op']))
 */
export function compileCaveats(
  caveats: readonly (readonly [index: string, text: string])[],
  registry: CaveatRegistry,
  deferred: ReadonlySet<Dimension> | undefined,
): CompiledCaveats {
  const checks: Check[] = []
  const parsed: ParsedCaveat[] = []
  let unparsed: CrumbError | undefined
  for (const [index, text] of caveats) {
    let caveat: ParsedCaveat
    try {
      caveat = registry.parseCaveat(text)
    } catch {
      unparsed ??= caveatError(index, text, 'caveat_failed', 'unknown or malformed caveat')
      continue
    }
    parsed.push(caveat)
    if (!deferred?.has(caveat.kind.dimension)) checks.push({ index, caveat })
  }
  return { checks, parsed, unparsed }
}

/**
 * Runs checks against a request: undefined when all hold, else the first failure as a CrumbError
 * naming the caveat — except that an expiry is reported before any other failure.
 *
 * @example
 * const failure = failedCheck(compiled.checks, { ip: '10.1.2.3', now: new Date(), leewayMs: 30_000 })
 */
export function failedCheck(checks: readonly Check[], ctx: RequestContext): CrumbError | undefined {
  let failure: CrumbError | undefined
  for (const { index, caveat } of checks) {
    const result = caveat.kind.check(caveat.value, ctx)
    if (result.ok) continue
    if (failure === undefined || (result.code === 'token_expired' && failure.code !== 'token_expired')) {
      failure = caveatError(index, caveat.text, result.code, result.reason)
    }
  }
  return failure
}

function caveatError(
  index: string,
  text: string,
  code: 'caveat_failed' | 'insufficient_scope' | 'token_expired',
  reason: string,
): CrumbError {
  // `caveatIndex` counts the primary's caveats; a discharge's caveat (`1.0`) has none.
  const primaryIndex = /^\d+$/.test(index) ? Number(index) : undefined
  return new CrumbError(code, `caveat ${index} (${text}) failed: ${reason}`, {
    caveat: text,
    ...(primaryIndex === undefined ? {} : { caveatIndex: primaryIndex }),
  })
}
