import { describe, expect, it } from 'vitest'
import { durationSchema, formatDuration, MAX_DURATION_MS, parseDuration } from '../src/duration.js'

const S = 1000
const M = 60 * S
const H = 60 * M
const D = 24 * H

describe('parseDuration (the one grammar of the CLI, the token service and the verifier)', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90 * S],
    ['5m', 5 * M],
    ['12h', 12 * H],
    ['30d', 30 * D],
    ['2w', 14 * D],
    ['1h30m', 90 * M],
    ['1d12h', 36 * H],
    ['1m500ms', M + 500],
    ['0', 0],
    ['0s', 0],
    ['0h0m', 0],
    [' 2h ', 2 * H],
    ['\t15m\n', 15 * M],
    ['007m', 7 * M],
    ['3650d', MAX_DURATION_MS],
    [1500, 1500],
    [0, 0],
  ] as const)('%j is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms)
  })

  it.each([
    ['empty', ''],
    ['whitespace only', '   '],
    ['inner whitespace', '30 d'],
    ['inner whitespace between parts', '1h 30m'],
    ['negative', '-1h'],
    ['explicit plus', '+1h'],
    ['fraction', '1.5h'],
    ['exponent', '1e3s'],
    ['a number without a unit', '30'],
    ['a unit without a number', 'h'],
    ['unknown unit', '1y'],
    ['an upper-case unit (M could mean months)', '6M'],
    ['an upper-case unit', '24H'],
    ['unknown unit (words)', '5 weeks'],
    ['a word', 'soon'],
    ['a trailing number', '1h30'],
    ['over ten years', '3651d'],
    ['over ten years in parts', '3650d1ms'],
    ['overflow to Infinity', `${'9'.repeat(400)}ms`],
    ['beyond safe integers', '99999999999999999999w'],
  ])('refuses %s (%j) with a RangeError', (_what, input) => {
    expect(() => parseDuration(input)).toThrow(RangeError)
  })

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_DURATION_MS + 1])(
    'refuses the number %d',
    (n) => {
      expect(() => parseDuration(n)).toThrow(RangeError)
    },
  )

  it('never repeats the input in its message (a pasted token stays out of logs)', () => {
    let message = ''
    try {
      parseDuration('crumb_AAAA')
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).not.toBe('')
    expect(message).not.toContain('crumb_AAAA')
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [90 * S, '90s'],
    [90 * M, '90m'],
    [2 * D, '2d'],
    [14 * D, '14d'],
    [36 * H, '36h'],
    [90_500, '90500ms'],
  ])('%d ms is %j, which parses back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseDuration(text)).toBe(ms)
  })
})

describe('durationSchema', () => {
  it('parses text and milliseconds within bounds', () => {
    const schema = durationSchema({ min: S, max: D })
    expect(schema.parse('1h30m')).toBe(90 * M)
    expect(schema.parse(2000)).toBe(2000)
    expect(schema.parse('1d')).toBe(D)
  })

  it.each([
    ['below the minimum', '0'],
    ['above the maximum', '1d1s'],
    ['not a duration', 'soon'],
    ['a negative number', -1],
  ])('refuses a value %s (%j)', (_what, input) => {
    expect(durationSchema({ min: S, max: D }).safeParse(input).success).toBe(false)
  })

  it('refuses what is neither text nor a number', () => {
    expect(durationSchema().safeParse(true).success).toBe(false)
    expect(durationSchema().safeParse(undefined).success).toBe(false)
  })
})
