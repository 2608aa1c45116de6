import type { CheckResult, Dimension, ParsedCaveat, RequestContext } from './types.js'

/** The first caveat that does not hold: its index in the list checked, text, code and reason. */
export interface CaveatFailure {
  index: number
  text: string
  code: Extract<CheckResult, { ok: false }>['code']
  /** The kind's reason (without the index or text). */
  reason: string
}

/** Options for `checkCaveats`. */
export interface CheckCaveatsOptions {
  /** Dimensions to skip now, because they are checked later (org/app/op per route). */
  deferred?: ReadonlySet<Dimension>
}

/**
 * Checks every caveat against the request, in order; returns the first failure or null.
 *
 * @example
 * const failure = checkCaveats(parsed, { ip: req.ip, now: new Date(), leewayMs: 30_000 }, {
 *   deferred: new Set(['org', 'app', 'op']),
 * })
 * if (failure) throw new CrumbError(failure.code, `caveat ${failure.index} (${failure.text}): ${failure.reason}`)
 */
export function checkCaveats(
  parsed: readonly ParsedCaveat[],
  ctx: RequestContext,
  options: CheckCaveatsOptions = {},
): CaveatFailure | null {
  const { deferred } = options
  for (const [index, caveat] of parsed.entries()) {
    if (deferred?.has(caveat.kind.dimension)) continue
    const result = caveat.kind.check(caveat.value, ctx)
    if (!result.ok) return { index, text: caveat.text, code: result.code, reason: result.reason }
  }
  return null
}
