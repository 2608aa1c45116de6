/**
 * A point in time as the store accepts it: a `Date`, or any string `Date` parses (RFC 3339).
 * The store always writes and returns the canonical `Date#toISOString()` form
 * (`2026-01-02T03:04:05.678Z`), whose text order is time order.
 */
export type Instant = Date | string

/**
 * Normalise an instant to the canonical ISO 8601 UTC form the database stores.
 * Throws a `RangeError` for an unparseable time.
 *
 * @example
 * toIso('2026-12-01T00:00:00Z') // '2026-12-01T00:00:00.000Z'
 */
export function toIso(t: Instant): string {
  const d = typeof t === 'string' ? new Date(t) : t
  const ms = d.getTime()
  if (Number.isNaN(ms)) throw new RangeError('invalid time')
  return d.toISOString()
}
