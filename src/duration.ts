import * as z from 'zod'

/**
 * Durations as people write them, one grammar for the CLI flags, the service's API and
 * configuration, and the verifier's options: whole numbers with a unit, `90s`, `15m`, `12h`,
 * `30d`, `2w`, `500ms`, or several of them (`1h30m`); `0` alone. Units are lower-case; surrounding
 * whitespace is ignored, inner whitespace is not allowed. No fractions (`1.5h` is `1h30m`).
 * Pure: the verifier (`crumb/express`) and the CLI's offline commands import it.
 */

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const
type Unit = keyof typeof UNIT_MS

/** Longest duration accepted anywhere: ten years. */
export const MAX_DURATION_MS = 3650 * UNIT_MS.d

/**
 * Longest duration that feeds a Node timer (setTimeout, setInterval, AbortSignal.timeout): 24 days,
 * a round figure under the timers' 2³¹−1 ms (~24.8 days), beyond which one fires after 1 ms.
 */
export const MAX_TIMER_MS = 24 * UNIT_MS.d

// `ms` before `m`, so `5ms` is five milliseconds, not five minutes and a stray `s`
const DURATION = /^(?:\d+(?:ms|[wdhms]))+$/
const PART = /(\d+)(ms|[wdhms])/g

const EXPECTED = 'expected a duration such as 90s, 15m, 12h, 30d or 1h30m'
const TOO_LONG = 'a duration is at most ten years (3650d)'

/**
 * Milliseconds of a duration: text in the grammar above, or a number of milliseconds (finite,
 * ≥ 0). Throws a `RangeError` saying what is expected (it never repeats the input).
 *
 * @example
 * parseDuration('1h30m') // 5_400_000
 * parseDuration(1500) // 1500
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) {
      throw new RangeError('a duration in milliseconds must be a whole number ≥ 0')
    }
    if (input > MAX_DURATION_MS) throw new RangeError(TOO_LONG)
    return input
  }
  // Lower-case units only: `6M` could be read as six months, and is refused rather than guessed.
  const text = input.trim()
  if (text === '0') return 0
  if (!DURATION.test(text)) throw new RangeError(EXPECTED)
  let ms = 0
  // a huge count sums to Infinity, which is over the limit too
  for (const [, count, unit] of text.matchAll(PART)) ms += Number(count) * UNIT_MS[unit as Unit]
  if (ms > MAX_DURATION_MS) throw new RangeError(TOO_LONG)
  return ms
}

/**
 * The shortest text of a duration: the largest of `d`, `h`, `m`, `s`, `ms` that divides it
 * exactly (`0s` for zero). It parses back to the same milliseconds.
 *
 * @example
 * formatDuration(5_400_000) // '90m'
 * formatDuration(172_800_000) // '2d'
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`
  }
  return `${ms}ms`
}

/** Inclusive bounds of {@link durationSchema}, in milliseconds. */
export interface DurationBounds {
  readonly min?: number
  readonly max?: number
}

/**
 * A zod schema of a duration (text or milliseconds, see {@link parseDuration}) → milliseconds,
 * optionally bounded. Its issue messages say what is expected, never what was given.
 *
 * @example
 * durationSchema({ max: 86_400_000 }).parse('1h') // 3_600_000
 * durationSchema({ max: 86_400_000 }).safeParse('2d').success // false: 'must be at most 1d'
 */
export function durationSchema(bounds: DurationBounds = {}): z.ZodType<number, string | number> {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    let ms: number
    try {
      ms = parseDuration(value)
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as RangeError).message })
      return z.NEVER
    }
    if (bounds.min !== undefined && ms < bounds.min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${formatDuration(bounds.min)}` })
      return z.NEVER
    }
    if (bounds.max !== undefined && ms > bounds.max) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${formatDuration(bounds.max)}` })
      return z.NEVER
    }
    return ms
  })
}
