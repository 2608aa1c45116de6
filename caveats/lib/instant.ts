import * as z from 'zod'

/** RFC 3339 `date-time` (section 5.6): a full date, a time, and `Z` or a numeric offset. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0)
}

/** Epoch milliseconds of an RFC 3339 instant, or undefined if a field is out of range. */
function toEpochMs(text: string): number | undefined {
  const m = RFC3339.exec(text)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const millis = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'))
  const offsetMinutes = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]))
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined // no leap seconds
  if (Number(m[9] ?? 0) > 23 || Number(m[10] ?? 0) > 59) return undefined
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day) // not Date.UTC: it maps years 0–99 to 1900–1999
  date.setUTCHours(hour, minute, second, millis)
  const ms = date.getTime() - offsetMinutes * 60_000
  const utcYear = new Date(ms).getUTCFullYear()
  return utcYear >= 0 && utcYear <= 9999 ? ms : undefined
}

/**
 * Schema of an RFC 3339 instant (`2026-12-01T00:00:00Z`, `…+02:00`) → epoch milliseconds.
 *
 * @example
 * instantSchema.parse('2026-12-01T02:00:00+02:00') // 1796083200000
 */
export const instantSchema: z.ZodType<number, string> = z
  .string()
  .trim()
  .regex(RFC3339, 'not an RFC 3339 date-time')
  .transform((text, ctx) => {
    const ms = toEpochMs(text)
    if (ms !== undefined) return ms
    ctx.addIssue({ code: 'custom', message: 'date-time field out of range' })
    return z.NEVER
  })

/**
 * `2026-12-01T00:00:00Z`, with milliseconds only when they are not zero.
 *
 * @example
 * formatInstant(1796083200000) // '2026-12-01T00:00:00Z'
 */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z')
}
