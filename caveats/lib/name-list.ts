import * as z from 'zod'
import { listParts } from '../grammar.js'
import type { CaveatKind, CheckResult } from '../types.js'
import { fail, OK } from './result.js'

/** A set of names in first-seen order, without duplicates; empty admits nothing. */
export type NameList = readonly string[]

interface NameListSpec {
  readonly name: string
  /** The request field the names are matched against. */
  readonly dimension: 'org' | 'app' | 'op' | 'device'
  /** One name, anchored. */
  readonly pattern: RegExp
  /** What the request lacks when a name does not match. */
  readonly mismatch: Extract<CheckResult, { ok: false }>['code']
}

/**
 * Schema of `a,b , c`: names matching `pattern`, spaces around commas tolerated, deduplicated.
 *
 * @example
 * nameListSchema(/^[a-z]+$/, 'op').parse('read, write,read') // ['read', 'write']
 */
export function nameListSchema(pattern: RegExp, noun: string): z.ZodType<NameList, string> {
  return z
    .string()
    .transform(listParts)
    .pipe(z.array(z.string().regex(pattern, `not a valid ${noun} name`)).min(1))
    .transform((names): NameList => Object.freeze([...new Set(names)]))
}

/**
 * A caveat kind whose value is a list of names, one of which the request must declare.
 *
 * @example
 * const team = nameListKind({ name: 'team', dimension: 'org', pattern: /^[a-z]+$/, mismatch: 'insufficient_scope' })
 */
export function nameListKind(spec: NameListSpec): CaveatKind<NameList> {
  const { name, dimension, mismatch } = spec
  const schema = nameListSchema(spec.pattern, dimension)
  return Object.freeze({
    name,
    dimension,
    schema,
    parse: (value: string): NameList => schema.parse(value),
    format: (value: NameList): string => value.join(','),
    check(value: NameList, ctx): CheckResult {
      const requested = ctx[dimension]
      if (requested === undefined) return fail('caveat_failed', `request declares no ${dimension}`)
      if (value.includes(requested)) return OK
      return fail(mismatch, `${dimension} ${JSON.stringify(requested)} is not admitted by ${name}`)
    },
    intersect: (a: NameList, b: NameList): NameList => Object.freeze(a.filter((x) => b.includes(x))),
  } satisfies CaveatKind<NameList>)
}
