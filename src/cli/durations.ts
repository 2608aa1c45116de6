import * as z from 'zod'
import { formatInstant, instantSchema } from '../../caveats/lib/instant.js'

/**
 * Durations and instants as flags take them: `30d`, `12h`, `15m`, `1w`, compounds such as
 * `1h30m`, and RFC 3339 instants (`2026-12-01T00:00:00Z`). Parsed with zod; a bad value becomes a
 * usage error naming the flag.
 */

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000 } as const
type Unit = keyof typeof UNIT_MS

/** Longest duration accepted: ten years. */
export const MAX_DURATION_MS = 3650 * UNIT_MS.d

const DURATION = /^(?:\d+[wdhm])+$/
const PART = /(\d+)([wdhm])/g

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
 * The canonical text of a whole number of minutes: the largest unit of d, h, m that divides it.
 *
 * @example
 * formatDuration(5_400_000) // '90m'
 * formatDuration(172_800_000) // '2d'
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0m'
  for (const unit of ['d', 'h', 'm'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`
  }
  return `${Math.ceil(ms / UNIT_MS.m)}m`
}

/**
 * Schema of a duration: `30d`, `12h`, `15m`, `1w`, `1h30m`, or `0`.
 *
 * @example
 * durationSchema.parse('1h30m') // { ms: 5400000, text: '90m' }
 */
export const durationSchema: z.ZodType<Duration, string> = z
  .string()
  .trim()
  .toLowerCase()
  .refine((text) => text === '0' || DURATION.test(text), {
    message: 'expected a duration such as 30d, 12h or 15m',
  })
  .transform((text, ctx): Duration => {
    let ms = 0
    for (const [, count, unit] of text.matchAll(PART)) ms += Number(count) * UNIT_MS[unit as Unit]
    if (ms > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: 'duration is longer than ten years' })
      return z.NEVER
    }
    return { ms, text: formatDuration(ms) }
  })

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
  const duration = durationSchema.safeParse(trimmed)
  if (duration.success) return { kind: 'duration', ...duration.data }
  ctx.addIssue({
    code: 'custom',
    message: 'expected a duration (30d, 12h, 15m) or an RFC 3339 instant (2026-12-01T00:00:00Z)',
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

/**
 * Parses a flag value with a schema, or explains what is wrong with it (first issue's message).
 *
 * @example
 * const r = parseWith(durationSchema, 'soon') // { ok: false, message: 'expected a duration such as 30d, 12h or 15m' }
 */
export function parseWith<T>(
  schema: z.ZodType<T, string>,
  value: string,
): { ok: true; value: T } | { ok: false; message: string } {
  const result = schema.safeParse(value)
  if (result.success) return { ok: true, value: result.data }
  return { ok: false, message: result.error.issues[0]?.message ?? 'invalid value' }
}
