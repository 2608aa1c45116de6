import * as z from 'zod'
import { listParts } from './grammar.js'
import { compileIpMatcher, type IpMatcher } from './lib/ip-match.js'
import { formatRange, type IpRange, intersectRanges, normalizeRanges, parseRange } from './lib/ip-range.js'
import { fail, OK } from './lib/result.js'
import type { CaveatKind } from './types.js'

/** Value of `ip = 10.0.0.0/8,203.0.113.7`: ranges no one of which covers another; empty admits nothing. */
export type IpValue = readonly IpRange[]

/** One matcher per value, compiled when the value is parsed, so `check` parses only the client address. */
const matchers = new WeakMap<IpValue, IpMatcher>()

function matcherOf(value: IpValue): IpMatcher {
  let matcher = matchers.get(value)
  if (matcher === undefined) {
    matcher = compileIpMatcher(value)
    matchers.set(value, matcher)
  }
  return matcher
}

const schema: z.ZodType<IpValue, string> = z.string().transform((text, ctx) => {
  try {
    const value = normalizeRanges(listParts(text).map(parseRange))
    matcherOf(value)
    return value
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : 'bad range' })
    return z.NEVER
  }
})

/**
 * `ip = 10.0.0.0/8,203.0.113.7,2001:db8::/32` — the client address is in one of the ranges.
 * IPv4 and IPv4-mapped IPv6 (`::ffff:10.1.2.3`) are one address (so `::/0` admits IPv4 too). A missing, unparseable or
 * out-of-range client address fails with `caveat_failed`. Several intersect exactly (CIDR
 * ranges are nested or disjoint).
 *
 * @example
 * const value = ip.parse('10.0.0.0/8, 203.0.113.7')
 * ip.check(value, { ip: '::ffff:10.1.2.3', now: new Date(), leewayMs: 0 }) // { ok: true }
 * ip.format(ip.intersect(value, ip.parse('10.1.0.0/16'))) // '10.1.0.0/16'
 */
export const ip: CaveatKind<IpValue> = Object.freeze({
  name: 'ip',
  dimension: 'ip',
  schema,
  parse: (value: string): IpValue => schema.parse(value),
  format: (value: IpValue): string => value.map(formatRange).join(','),
  check(value: IpValue, ctx) {
    const address = ctx.ip
    if (address === undefined) return fail('caveat_failed', 'request declares no client address')
    const admitted = matcherOf(value)(address)
    if (admitted === undefined) return fail('caveat_failed', 'client address is not an IP address')
    if (admitted) return OK
    return fail('caveat_failed', `client address ${address} is not in an admitted range`)
  },
  intersect: intersectRanges,
} satisfies CaveatKind<IpValue>)
