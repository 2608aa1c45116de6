import { InvalidArgumentError } from 'commander'
import type * as z from 'zod'

/**
 * Flag values parsed with zod schemas (parse, don't validate): the caveat kinds' schemas, the
 * duration grammar, and the API's field rules (src/api-fields.ts), so the CLI refuses what the
 * server would refuse, as a usage error (exit 2) naming the flag.
 */

/**
 * Parses a value with a schema, or explains what is wrong with it (first issue's message).
 *
 * @example
 * const r = parseWith(emailSchema, 'ada') // { ok: false, message: 'Invalid email address' }
 */
export function parseWith<T>(
  schema: z.ZodType<T>,
  value: string,
): { ok: true; value: T } | { ok: false; message: string } {
  const result = schema.safeParse(value)
  if (result.success) return { ok: true, value: result.data }
  return { ok: false, message: result.error.issues[0]?.message ?? 'invalid value' }
}

/**
 * A commander argument parser from a schema: commander reports a refusal as
 * `option '--name <name>' argument '…' is invalid. <why>.` and the CLI exits 2.
 *
 * @example
 * new Option('--email <email>').argParser(flagParser(emailSchema))
 */
export function flagParser<T>(schema: z.ZodType<T>): (value: string) => T {
  return (value) => {
    const parsed = parseWith(schema, value)
    if (!parsed.ok) throw new InvalidArgumentError(`${parsed.message}.`)
    return parsed.value
  }
}
