import { describe, expect, it } from 'vitest'
import { expires } from '../../caveats/index.js'
import { context } from './context.js'

const instant = '2026-12-01T00:00:00Z'
const at = Date.parse(instant)
const when = (offsetMs: number, leewayMs = 0) => context({ now: new Date(at + offsetMs), leewayMs })

describe('expires caveat', () => {
  it('parses RFC 3339 to epoch milliseconds', () => {
    expect(expires.parse(instant)).toBe(at)
    expect(expires.parse('2026-12-01T02:00:00+02:00')).toBe(at)
    expect(expires.parse('2026-11-30T19:00:00-05:00')).toBe(at)
    expect(expires.parse('2026-12-01t00:00:00z')).toBe(at)
    expect(expires.parse('2026-12-01T00:00:00.250Z')).toBe(at + 250)
    expect(expires.parse('2026-12-01T00:00:00.123456789Z')).toBe(at + 123)
    expect(expires.parse('2028-02-29T00:00:00Z')).toBe(Date.parse('2028-02-29T00:00:00Z'))
  })

  it('formats without zero milliseconds and round-trips', () => {
    expect(expires.format(at)).toBe(instant)
    expect(expires.format(at + 250)).toBe('2026-12-01T00:00:00.250Z')
    expect(expires.format(expires.parse('2026-12-01T05:30:00+05:30'))).toBe(instant)
    expect(expires.parse(expires.format(at + 7))).toBe(at + 7)
  })

  it.each([
    '',
    'tomorrow',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-12-01T24:00:00Z',
    '2026-12-01T00:60:00Z',
    '2026-12-01T00:00:60Z',
    '2026-12-01T00:00:00',
    '2026-12-01T00:00:00+2:00',
    '2026-12-01T00:00:00+24:00',
    '2026-12-01',
    '2026-12-01 00:00:00Z',
    'Tue, 01 Dec 2026 00:00:00 GMT',
    '1796083200000',
    '+002026-12-01T00:00:00Z',
    '2026-12-01T00:00:00.Z',
  ])('rejects %j', (text) => {
    expect(() => expires.parse(text)).toThrow()
  })

  it('holds before the instant and fails at and after it with token_expired', () => {
    const value = expires.parse(instant)
    expect(expires.check(value, when(-1))).toEqual({ ok: true })
    expect(expires.check(value, when(0))).toMatchObject({ ok: false, code: 'token_expired' })
    expect(expires.check(value, when(1000))).toMatchObject({ ok: false, code: 'token_expired' })
  })

  it('allows clock skew within the leeway', () => {
    const value = expires.parse(instant)
    expect(expires.check(value, when(10_000, 30_000))).toEqual({ ok: true })
    expect(expires.check(value, when(31_000, 30_000))).toMatchObject({ ok: false, code: 'token_expired' })
  })

  it('fails closed on an invalid clock', () => {
    expect(expires.check(at, context({ now: new Date(Number.NaN) })).ok).toBe(false)
  })

  it('intersects to the earlier instant', () => {
    const later = expires.parse('2027-01-01T00:00:00Z')
    expect(expires.intersect(at, later)).toBe(at)
    expect(expires.intersect(later, at)).toBe(at)
  })
})
