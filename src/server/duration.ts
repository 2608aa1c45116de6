import * as z from 'zod'

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

const DURATION = /^(\d{1,9})(ms|s|m|h|d|w)$/

/**
 * Parses a duration such as `30d`, `12h`, `15m`, `90s`, `0s` (one number, one unit) into
 * milliseconds; undefined when the text is not a duration.
 *
 * @example
 * parseDuration('12h') // 43_200_000
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim())
  if (m === null) return undefined
  const [, n, unit] = m
  const factor = UNITS[unit ?? '']
  return factor === undefined ? undefined : Number(n) * factor
}

/**
 * Formats milliseconds as the largest whole unit (`90d`, `36h`, `0s`).
 *
 * @example
 * formatDuration(86_400_000) // '1d'
 */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const factor = UNITS[unit] ?? 1
    if (ms !== 0 && ms % factor === 0) return `${ms / factor}${unit}`
  }
  return ms === 0 ? '0s' : `${ms}ms`
}

/**
 * A zod schema of a duration string (`30d`, `12h`, `15m`) → milliseconds, optionally bounded.
 *
 * @example
 * durationSchema({ max: 86_400_000 }).parse('1h') // 3_600_000
 */
export function durationSchema(bounds: { min?: number; max?: number } = {}): z.ZodType<number, string> {
  return z
    .string()
    .regex(DURATION, 'expected a duration such as 30d, 12h, 15m, 0s')
    .transform((text, ctx) => {
      const ms = parseDuration(text) ?? Number.NaN
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
