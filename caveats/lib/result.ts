import type { CheckResult } from '../types.js'

type FailureCode = Extract<CheckResult, { ok: false }>['code']

/** The one passing result, shared (results are never mutated). */
export const OK: CheckResult = Object.freeze({ ok: true })

/**
 * A failing result with a DESIGN.md code.
 *
 * @example
 * return fail('token_expired', 'expired at 2026-12-01T00:00:00Z')
 */
export function fail(code: FailureCode, reason: string): CheckResult {
  return { ok: false, code, reason }
}
