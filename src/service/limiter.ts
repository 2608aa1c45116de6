import type { Clock } from './clock.js'

/**
 * A sliding-window counter per key (an email, an IP): at most `limit` hits per `windowMs`.
 * In memory, so it resets with the process; keys are swept as their windows pass.
 *
 * Hand-written rather than express-rate-limit (#16 item 6): the routes count what a middleware
 * cannot see — failed logins only (a success forgets the email's failures and gives back the
 * address's hit), unknown device codes only, hits taken before an await and released after —
 * and answer with a Retry-After from the oldest hit in a sliding window, on the service's
 * injected clock. The limit that must hold across instances (key creation per user) is a store
 * invariant checked inside the creation transaction, not this counter.
 *
 * @example
 * const failures = new SlidingWindowLimiter({ limit: 10, windowMs: 15 * 60_000, clock })
 * const wait = failures.retryAfterMs(`email:${email}`) // 0 when allowed
 */
export class SlidingWindowLimiter {
  readonly #limit: number
  readonly #windowMs: number
  readonly #clock: Clock
  readonly #hits = new Map<string, number[]>()
  #lastSweep = 0

  constructor(options: { limit: number; windowMs: number; clock: Clock }) {
    this.#limit = options.limit
    this.#windowMs = options.windowMs
    this.#clock = options.clock
  }

  #live(key: string, now: number): number[] {
    const hits = this.#hits.get(key)
    if (hits === undefined) return []
    const live = hits.filter((t) => t > now - this.#windowMs)
    if (live.length === 0) this.#hits.delete(key)
    else this.#hits.set(key, live)
    return live
  }

  /** Milliseconds until `key` may be hit again (0: now). */
  retryAfterMs(key: string): number {
    const now = this.#clock.now().getTime()
    const live = this.#live(key, now)
    if (live.length < this.#limit) return 0
    const oldest = live[live.length - this.#limit] ?? now
    return Math.max(1, oldest + this.#windowMs - now)
  }

  /** Counts a hit against `key`. */
  hit(key: string): void {
    const now = this.#clock.now().getTime()
    const live = this.#live(key, now)
    live.push(now)
    this.#hits.set(key, live)
    if (now - this.#lastSweep > this.#windowMs) this.#sweep(now)
  }

  /**
   * Takes back one hit of `key` (the newest): for callers that count an attempt up front, before
   * an await, so concurrent attempts cannot all pass the check, and release it when it succeeds.
   */
  release(key: string): void {
    const hits = this.#hits.get(key)
    if (hits === undefined) return
    hits.pop()
    if (hits.length === 0) this.#hits.delete(key)
  }

  /** Forgets `key` (after a successful login, for the per-email counter). */
  reset(key: string): void {
    this.#hits.delete(key)
  }

  #sweep(now: number): void {
    this.#lastSweep = now
    for (const key of [...this.#hits.keys()]) this.#live(key, now)
  }
}
