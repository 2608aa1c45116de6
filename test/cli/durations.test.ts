import { describe, expect, it } from 'vitest'
import { durationFlagSchema, resolveWhen, whenSchema, whenToInstantText } from '../../src/cli/durations.js'
import { parseWith } from '../../src/cli/flag-parser.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

describe('durationFlagSchema', () => {
  it.each([
    ['30d', 30 * DAY, '30d'],
    ['12h', 12 * HOUR, '12h'],
    ['15m', 15 * 60_000, '15m'],
    ['90s', 90_000, '90s'],
    ['1w', 7 * DAY, '7d'],
    ['1h30m', 90 * 60_000, '90m'],
    [' 2h ', 2 * HOUR, '2h'],
    ['0', 0, '0s'],
    ['0m', 0, '0s'],
  ])('parses %j with one-unit canonical text (what any server parses)', (text, ms, canonical) => {
    expect(durationFlagSchema.parse(text)).toEqual({ ms, text: canonical })
  })

  it.each(['', 'soon', '30', '1.5h', '-1h', '30 d', 'h', '1y', '3651d', '24H', '6M'])(
    'refuses %j',
    (text) => {
      expect(durationFlagSchema.safeParse(text).success).toBe(false)
    },
  )
})

describe('whenSchema', () => {
  it('takes a duration from now', () => {
    expect(whenSchema.parse('2h')).toEqual({ kind: 'duration', ms: 2 * HOUR, text: '2h' })
  })

  it('takes RFC 3339 instants, with offsets and fractions', () => {
    expect(whenSchema.parse('2026-12-01T00:00:00Z')).toEqual({ kind: 'instant', at: Date.UTC(2026, 11, 1) })
    expect(whenSchema.parse('2026-12-01T02:00:00+02:00')).toEqual({
      kind: 'instant',
      at: Date.UTC(2026, 11, 1),
    })
    expect(whenSchema.parse('2026-12-01T00:00:00.250Z')).toEqual({
      kind: 'instant',
      at: Date.UTC(2026, 11, 1) + 250,
    })
  })

  it.each(['2026-13-01T00:00:00Z', '2026-12-01', '2026-02-30T00:00:00Z', 'tomorrow', '2026-12-01 00:00'])(
    'refuses %j with a message saying what is expected',
    (text) => {
      const parsed = parseWith(whenSchema, text)
      expect(parsed.ok).toBe(false)
      if (!parsed.ok) expect(parsed.message).toMatch(/RFC 3339|duration/)
    },
  )

  it('resolves against a clock and prints whole seconds', () => {
    const now = new Date('2026-01-01T00:00:00.750Z')
    expect(resolveWhen(whenSchema.parse('1d'), now)).toBe(now.getTime() + DAY)
    expect(whenToInstantText(whenSchema.parse('1h'), now)).toBe('2026-01-01T01:00:00Z')
    expect(whenToInstantText(whenSchema.parse('2026-12-01T00:00:00.5Z'), now)).toBe(
      '2026-12-01T00:00:00.500Z',
    )
  })
})
