import * as z from 'zod'
import { formatInstant, instantSchema } from '../../caveats/lib/instant.js'
import { durationSchema, formatDuration } from '../duration.js'

/**
 * Durations and instants as flags take them: a duration in the shared grammar (`30d`, `12h`,
 * `90s`, `1h30m`, see src/duration.ts) or an RFC 3339 instant (`2026-12-01T00:00:00Z`). Parsed
 * with zod; a bad value becomes a usage error naming the flag.
 */

/** A parsed duration: milliseconds and the canonical text sent to the server (`90m`, `2h`, `30d`). */
export interface Duration {
  readonly ms: number
  readonly text: string
}

/** When something happens: a duration from now, or an absolute instant (epoch milliseconds). */
export type When =
  | { readonly kind: 'duration'; readonly ms: number; readonly text: string }
  | { readonly kind: 'instant'; readonly at: number }

/**
 * Schema of a duration flag. The canonical text is one unit, which every server version parses.
 *
 * @example
 * durationFlagSchema.parse('1h30m') // { ms: 5400000, text: '90m' }
 */
export const durationFlagSchema: z.ZodType<Duration, string | number> = durationSchema().transform(
  (ms): Duration => ({ ms, text: formatDuration(ms) }),
)

/**
 * Schema of a point in time: a duration from now (`30d`) or an RFC 3339 instant.
 *
 * @example
 * whenSchema.parse('2026-12-01T00:00:00Z') // { kind: 'instant', at: 1796083200000 }
 * whenSchema.parse('2h') // { kind: 'duration', ms: 7200000, text: '2h' }
 */
export const whenSchema: z.ZodType<When, string> = z.string().transform((text, ctx): When => {
  const trimmed = text.trim()
  if (/^\d{4}-/.test(trimmed)) {
    const instant = instantSchema.safeParse(trimmed)
    if (instant.success) return { kind: 'instant', at: instant.data }
    ctx.addIssue({ code: 'custom', message: 'expected an RFC 3339 instant such as 2026-12-01T00:00:00Z' })
    return z.NEVER
  }
  const duration = durationFlagSchema.safeParse(trimmed)
  if (duration.success) return { kind: 'duration', ...duration.data }
  ctx.addIssue({
    code: 'custom',
    message: 'expected a duration (30d, 12h, 90s) or an RFC 3339 instant (2026-12-01T00:00:00Z)',
  })
  return z.NEVER
})

/**
 * The instant a {@link When} names, in epoch milliseconds, counted from `now`.
 *
 * @example
 * resolveWhen({ kind: 'duration', ms: 60_000, text: '1m' }, new Date(0)) // 60000
 */
export function resolveWhen(when: When, now: Date = new Date()): number {
  return when.kind === 'instant' ? when.at : now.getTime() + when.ms
}

/**
 * The RFC 3339 text of a {@link When} (for an `expires = …` or `not-before = …` caveat), to the second.
 *
 * @example
 * whenToInstantText({ kind: 'duration', ms: 3_600_000, text: '1h' }, new Date('2026-01-01T00:00:00Z')) // '2026-01-01T01:00:00Z'
 */
export function whenToInstantText(when: When, now: Date = new Date()): string {
  const at = resolveWhen(when, now)
  return formatInstant(when.kind === 'instant' ? at : Math.floor(at / 1000) * 1000)
}
