import type * as z from 'zod'

/** What a request declares about itself; a caveat on an undeclared dimension fails. */
export interface RequestContext {
  org?: string
  app?: string
  op?: string
  device?: string
  ip?: string
  /**
   * The verifying service's own audience (canonical, see `canonicalAudience`), when it has one.
   * Not a request fact: it is the same for every request a verifier sees.
   */
  aud?: string
  /** The verifier's clock. */
  now: Date
  /** Clock-skew allowance for time caveats, in milliseconds. */
  leewayMs: number
}

/** A caveat outcome: ok, or a failure carrying the DESIGN.md code that fits it. */
export type CheckResult =
  | { ok: true }
  | { ok: false; code: 'caveat_failed' | 'insufficient_scope' | 'token_expired'; reason: string }

/** Dimensions of a request that a caveat kind can restrict. */
export type Dimension = 'org' | 'app' | 'op' | 'device' | 'ip' | 'time' | 'aud'

/**
 * One caveat kind: `name = value`. Parsed values are plain typed objects; the zod schema guards
 * the value text at the boundary.
 */
export interface CaveatKind<T> {
  readonly name: string
  /** The request dimension this kind restricts. */
  readonly dimension: Dimension
  /** Schema of the value text (after `name = `). */
  readonly schema: z.ZodType<T, string>
  /** Parses the value text; throws on a malformed value. */
  parse(value: string): T
  /** Canonical value text (parse(format(v)) deep-equals v). */
  format(value: T): string
  /** Does the caveat hold for this request? */
  check(value: T, ctx: RequestContext): CheckResult
  /** The value admitting exactly what both admit (several caveats of one kind intersect). */
  intersect(a: T, b: T): T
}

/** A caveat text parsed by a registry: its kind, typed value and the text as given. */
export interface ParsedCaveat<T = unknown> {
  readonly kind: CaveatKind<T>
  readonly value: T
  readonly text: string
}
