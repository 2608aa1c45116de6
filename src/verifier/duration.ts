import * as z from 'zod'

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/

/**
 * Parses a duration: milliseconds as a number, or text such as `500ms`, `5s`, `5m`, `12h`, `30d`.
 * Throws a `RangeError` for anything else (negative, empty, unknown unit).
 *
 * @example
 * parseDuration('5m') // 300000
 * parseDuration(1500) // 1500
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0)
      throw new RangeError('duration must be a finite number of ms ≥ 0')
    return input
  }
  const match = DURATION.exec(input.trim())
  const [, amount, unit] = match ?? []
  if (amount === undefined || unit === undefined) {
    throw new RangeError('duration must look like 500ms, 5s, 5m, 12h or 30d')
  }
  return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS])
}

/**
 * The zod schema of a duration option (number of ms or text), parsed to milliseconds.
 *
 * @example
 * durationSchema.parse('2s') // 2000
 */
export const durationSchema: z.ZodType<number, string | number> = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    try {
      return parseDuration(value)
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message })
      return z.NEVER
    }
  })
