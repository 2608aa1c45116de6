/** The time source of the service; tests inject their own to drive jobs and expiry. */
export interface Clock {
  now(): Date
}

/**
 * The wall clock.
 *
 * @example
 * systemClock.now().toISOString()
 */
export const systemClock: Clock = { now: () => new Date() }

/**
 * A clock that stands still until moved (for tests).
 *
 * @example
 * const clock = manualClock('2026-01-01T00:00:00Z')
 * clock.advance(90 * 86_400_000)
 */
export function manualClock(
  start: Date | string,
): Clock & { advance(ms: number): void; set(t: Date | string): void } {
  let t = new Date(start).getTime()
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms
    },
    set(at: Date | string) {
      t = new Date(at).getTime()
    },
  }
}
