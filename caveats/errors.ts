/** Why a caveat text was refused: no `name = value` shape, an unregistered name, or a bad value. */
export type CaveatParseProblem = 'syntax' | 'unknown_kind' | 'malformed_value'

/**
 * Thrown by `CaveatRegistry.parseCaveat`. The message holds only the caveat text (quoted);
 * the kind's own error is the `cause`. Callers fail closed on it.
 *
 * @example
 * try { registry.parseCaveat('color = red') } catch (e) {
 *   if (e instanceof CaveatParseError) e.problem // 'unknown_kind'
 * }
 */
export class CaveatParseError extends Error {
  override readonly name = 'CaveatParseError'
  readonly problem: CaveatParseProblem
  /** The caveat text as given. */
  readonly caveat: string

  constructor(problem: CaveatParseProblem, caveat: string, cause?: unknown) {
    const what = { syntax: 'unparseable', unknown_kind: 'unknown', malformed_value: 'malformed' }[problem]
    super(`${what} caveat ${JSON.stringify(caveat)}`, cause === undefined ? undefined : { cause })
    this.problem = problem
    this.caveat = caveat
  }
}
