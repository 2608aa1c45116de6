import { formatInstant, instantSchema } from './lib/instant.js'
import { fail, OK } from './lib/result.js'
import type { CaveatKind } from './types.js'

/** Value of `expires = 2026-12-01T00:00:00Z`: the instant, in epoch milliseconds. */
export type ExpiresValue = number

/**
 * `expires = 2026-12-01T00:00:00Z` — holds while `now < instant + leeway`; afterwards it fails
 * with `token_expired`. Several intersect to the earliest.
 *
 * @example
 * const at = expires.parse('2026-12-01T00:00:00Z') // 1796083200000
 * expires.check(at, { now: new Date('2026-12-01T00:00:10Z'), leewayMs: 30_000 }) // { ok: true }
 */
export const expires: CaveatKind<ExpiresValue> = Object.freeze({
  name: 'expires',
  dimension: 'time',
  schema: instantSchema,
  parse: (value: string): ExpiresValue => instantSchema.parse(value),
  format: formatInstant,
  check: (value, ctx) =>
    ctx.now.getTime() < value + ctx.leewayMs
      ? OK
      : fail('token_expired', `expired at ${formatInstant(value)}`),
  intersect: (a, b) => Math.min(a, b),
} satisfies CaveatKind<ExpiresValue>)
