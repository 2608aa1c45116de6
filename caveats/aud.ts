import * as z from 'zod'
import { audienceSchema } from './lib/audience.js'
import { fail, OK } from './lib/result.js'
import type { CaveatKind } from './types.js'

/** Value of `aud = https://deploy.example,https://api.example/mcp`: canonical audiences, deduplicated; empty admits nothing. */
export type AudValue = readonly string[]

const schema: z.ZodType<AudValue, string> = z
  .string()
  .transform((text) => text.split(','))
  .pipe(z.array(audienceSchema).min(1))
  .transform((audiences): AudValue => Object.freeze([...new Set(audiences)]))

/**
 * `aud = https://deploy.example` — the verifying service is one of the audiences: its configured
 * `audience` (an RFC 8707 resource indicator; see `canonicalAudience` for how two are compared).
 * A verifier with no audience refuses a token that names one (`caveat_failed`, fail closed), so a
 * token an OAuth client got for one resource is refused by every other crumb verifier, the token
 * service's own API included. Several intersect to the audiences common to all.
 *
 * @example
 * const value = aud.parse('https://deploy.example/') // ['https://deploy.example']
 * aud.check(value, { aud: 'https://deploy.example', now: new Date(), leewayMs: 0 }) // { ok: true }
 * aud.check(value, { now: new Date(), leewayMs: 0 }).ok // false
 */
export const aud: CaveatKind<AudValue> = Object.freeze({
  name: 'aud',
  dimension: 'aud',
  schema,
  parse: (value: string): AudValue => schema.parse(value),
  format: (value: AudValue): string => value.join(','),
  check(value: AudValue, ctx) {
    const audience = ctx.aud
    if (audience === undefined) return fail('caveat_failed', 'this verifier has no audience')
    if (value.includes(audience)) return OK
    return fail('caveat_failed', `audience ${JSON.stringify(audience)} is not admitted by aud`)
  },
  intersect: (a: AudValue, b: AudValue): AudValue => Object.freeze(a.filter((x) => b.includes(x))),
} satisfies CaveatKind<AudValue>)
