import { formatInstant, instantSchema } from './lib/instant.js'
import { fail, OK } from './lib/result.js'
import type { CaveatKind } from './types.js'

/** Value of `not-before = 2026-11-01T00:00:00Z`: the instant, in epoch milliseconds. */
export type NotBeforeValue = number

/**
 * `not-before = 2026-11-01T00:00:00Z` — holds once `now + leeway >= instant`; before that it
 * fails with `token_expired`. Several intersect to the latest.
 *
 * @example
 * const from = notBefore.parse('2026-11-01T00:00:00Z')
 * notBefore.check(from, { now: new Date('2026-10-31T23:59:50Z'), leewayMs: 30_000 }) // { ok: true }
 */
export const notBefore: CaveatKind<NotBeforeValue> = Object.freeze({
  name: 'not-before',
  dimension: 'time',
  schema: instantSchema,
  parse: (value: string): NotBeforeValue => instantSchema.parse(value),
  format: formatInstant,
  check: (value, ctx) =>
    ctx.now.getTime() + ctx.leewayMs >= value
      ? OK
      : fail('token_expired', `not valid before ${formatInstant(value)}`),
  intersect: (a, b) => Math.max(a, b),
} satisfies CaveatKind<NotBeforeValue>)
