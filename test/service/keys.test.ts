import { describe, expect, it } from 'vitest'
import { defaultRegistry } from '../../caveats/index.js'
import { isPastExpiry } from '../../src/service/keys.js'

const now = new Date('2026-06-01T12:00:00Z')
const registry = defaultRegistry()

describe('isPastExpiry (one rule for key creation and rotation)', () => {
  it.each([
    ['expires = 2026-06-01T11:59:59Z', true],
    ['expires = 2026-06-01T12:00:00Z', true],
    ['expires = 2026-06-01T12:00:01Z', false],
    ['not-before = 2026-01-01T00:00:00Z', false],
    ['ops = read', false],
  ])('%s → %s', (caveat, past) => {
    expect(isPastExpiry(registry, caveat, now)).toBe(past)
  })
})
