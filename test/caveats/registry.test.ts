import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import {
  type CaveatKind,
  CaveatParseError,
  CaveatRegistry,
  createDefaultRegistry,
  defaultRegistry,
  MAX_CAVEAT_LENGTH,
  ops,
  org,
} from '../../caveats/index.js'
import { context } from './context.js'

/** A service-defined kind: `region = eu,us`. */
const regionSchema = z.enum(['eu', 'us'])
const region: CaveatKind<'eu' | 'us'> = {
  name: 'region',
  dimension: 'org',
  schema: z.string().trim().pipe(regionSchema),
  parse: (value) => regionSchema.parse(value.trim()),
  format: (value) => value,
  check: (value) => (value === 'eu' ? { ok: true } : { ok: false, code: 'caveat_failed', reason: 'not eu' }),
  intersect: (a) => a,
}

function parseError(fn: () => unknown): CaveatParseError {
  try {
    fn()
  } catch (error) {
    if (error instanceof CaveatParseError) return error
    throw error
  }
  throw new Error('did not throw')
}

describe('CaveatRegistry', () => {
  const registry = createDefaultRegistry()

  it('holds the eight built-in kinds', () => {
    expect(registry.kinds().map((kind) => kind.name)).toEqual([
      'org',
      'app',
      'ops',
      'expires',
      'not-before',
      'device',
      'ip',
      'aud',
    ])
    expect(registry.get('ops')).toBe(ops)
    expect(registry.get('nope')).toBeUndefined()
  })

  it('parses `name = value` with any spacing', () => {
    for (const text of [
      'ops = read,write',
      'ops=read,write',
      '  ops   =  read , write  ',
      '\tops =read,write\n',
    ]) {
      const parsed = registry.parseCaveat(text)
      expect(parsed.kind).toBe(ops)
      expect(parsed.value).toEqual(['read', 'write'])
      expect(parsed.text).toBe(text)
    }
  })

  it('formats canonical text that parses back to the same value', () => {
    expect(registry.formatCaveat('ops', ['read', 'write'])).toBe('ops = read,write')
    expect(registry.formatCaveat('expires', Date.parse('2026-12-01T00:00:00Z'))).toBe(
      'expires = 2026-12-01T00:00:00Z',
    )
    for (const text of [
      'org=acme,beta',
      'ip = 10.0.0.0/8,2001:db8::/32',
      'not-before = 2026-11-01T00:00:00Z',
    ]) {
      const parsed = registry.parseCaveat(text)
      expect(registry.parseCaveat(registry.formatCaveat(parsed.kind.name, parsed.value)).value).toEqual(
        parsed.value,
      )
    }
    expect(() => registry.formatCaveat('nope', 'x')).toThrow()
  })

  it.each([
    ['color = red', 'unknown_kind'],
    ['Org = acme', 'syntax'],
    ['org', 'syntax'],
    ['org =', 'syntax'],
    ['= acme', 'syntax'],
    ['org = acme\nops = write', 'syntax'],
    ['org = ', 'syntax'],
    ['org = ac me', 'malformed_value'],
    ['expires = tomorrow', 'malformed_value'],
    ['ip = 10.0.0.0/33', 'malformed_value'],
    [`org = ${'a'.repeat(MAX_CAVEAT_LENGTH)}`, 'syntax'],
  ])('refuses %j (%s), naming only the caveat text', (text, problem) => {
    const error = parseError(() => registry.parseCaveat(text))
    expect(error.problem).toBe(problem)
    expect(error.caveat).toBe(text)
    expect(error.message).toContain(JSON.stringify(text))
  })

  it('keeps the kind error as the cause of a malformed value', () => {
    expect(parseError(() => registry.parseCaveat('org = !')).cause).toBeInstanceOf(z.ZodError)
  })

  it('memoises: the same text returns the same frozen object', () => {
    const first = registry.parseCaveat('org = acme,beta')
    expect(registry.parseCaveat('org = acme,beta')).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(Object.isFrozen(first.value)).toBe(true)
  })

  it('evicts the oldest entry when the memo is full', () => {
    const small = createDefaultRegistry([], { cacheSize: 2 })
    const a = small.parseCaveat('org = a')
    small.parseCaveat('org = b')
    expect(small.parseCaveat('org = a')).toBe(a)
    small.parseCaveat('org = c')
    expect(small.parseCaveat('org = a')).not.toBe(a)
    expect(small.parseCaveat('org = a')).toEqual(a)
  })

  it('memoises nothing with cacheSize 0', () => {
    const none = createDefaultRegistry([], { cacheSize: 0 })
    const a = none.parseCaveat('org = a')
    expect(none.parseCaveat('org = a')).not.toBe(a)
    expect(none.parseCaveat('org = a')).toEqual(a)
  })

  it('answers a memo hit fast', () => {
    const texts = Array.from({ length: 100 }, (_, i) => `org = tenant-${i}`)
    for (const text of texts) registry.parseCaveat(text)
    const start = performance.now()
    for (let round = 0; round < 1000; round++) for (const text of texts) registry.parseCaveat(text)
    const perHitMs = (performance.now() - start) / 100_000
    expect(perHitMs).toBeLessThan(0.001) // < 1 µs, with a wide margin on any machine
  })

  it('refuses to register a name twice', () => {
    expect(() => createDefaultRegistry().register(org)).toThrow(/already registered/)
    expect(() => new CaveatRegistry([region, region])).toThrow()
  })

  it('registers a service-defined kind', () => {
    const custom = createDefaultRegistry().register(region)
    const parsed = custom.parseCaveat('region = eu')
    expect(parsed.kind).toBe(region)
    expect(parsed.value).toBe('eu')
    expect(custom.formatCaveat('region', 'us')).toBe('region = us')
    expect(() => custom.parseCaveat('region = mars')).toThrow(CaveatParseError)
    expect(parsed.kind.check(parsed.value, context()).ok).toBe(true)
    expect(() => createDefaultRegistry().parseCaveat('region = eu')).toThrow(CaveatParseError)
  })

  it('registers a kind that arrives after a text was refused', () => {
    const custom = createDefaultRegistry()
    expect(() => custom.parseCaveat('region = eu')).toThrow(CaveatParseError)
    custom.register(region)
    expect(custom.parseCaveat('region = eu').value).toBe('eu')
  })

  it('shares one sealed default registry, extended into new ones', () => {
    expect(defaultRegistry()).toBe(defaultRegistry())
    expect(() => defaultRegistry().register(region)).toThrow(/sealed/)
    const extended = defaultRegistry().extend(region)
    expect(extended).not.toBe(defaultRegistry())
    expect(extended.parseCaveat('region = us').value).toBe('us')
    expect(extended.parseCaveat('org = acme').kind).toBe(org)
    expect(defaultRegistry().get('region')).toBeUndefined()
  })

  it('creates a default registry with extra kinds', () => {
    expect(createDefaultRegistry([region]).get('region')).toBe(region)
  })
})
