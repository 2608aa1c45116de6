import { describe, expect, it } from 'vitest'
import { notBefore } from '../../caveats/index.js'
import { context } from './context.js'

const instant = '2026-11-01T00:00:00Z'
const at = Date.parse(instant)
const when = (offsetMs: number, leewayMs = 0) => context({ now: new Date(at + offsetMs), leewayMs })

describe('not-before caveat', () => {
  it('parses, formats and round-trips', () => {
    expect(notBefore.parse(instant)).toBe(at)
    expect(notBefore.format(at)).toBe(instant)
    expect(notBefore.parse(notBefore.format(at))).toBe(at)
  })

  it.each(['', 'now', '2026-11-31T00:00:00Z', '2026-11-01T00:00Z'])('rejects %j', (text) => {
    expect(() => notBefore.parse(text)).toThrow()
  })

  it('holds from the instant on and fails before it with token_expired', () => {
    const value = notBefore.parse(instant)
    expect(notBefore.check(value, when(0))).toEqual({ ok: true })
    expect(notBefore.check(value, when(1))).toEqual({ ok: true })
    expect(notBefore.check(value, when(-1))).toMatchObject({ ok: false, code: 'token_expired' })
  })

  it('allows clock skew within the leeway', () => {
    const value = notBefore.parse(instant)
    expect(notBefore.check(value, when(-10_000, 30_000))).toEqual({ ok: true })
    expect(notBefore.check(value, when(-31_000, 30_000))).toMatchObject({ ok: false, code: 'token_expired' })
  })

  it('intersects to the later instant', () => {
    const later = notBefore.parse('2026-11-02T00:00:00Z')
    expect(notBefore.intersect(at, later)).toBe(later)
    expect(notBefore.intersect(later, at)).toBe(later)
  })
})
