import type { CheckResult } from '../types.js'

type FailureCode = Extract<CheckResult, { ok: false }>['code']

/** The one passing result, shared (results are never mutated). */
export const OK: CheckResult = Object.freeze({ ok: true })

/** A failing result with a DESIGN.md code. */
export function fail(code: FailureCode, reason: string): CheckResult {
  return { ok: false, code, reason }
}
