import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { matchesPattern } from '../../../src/service/workload/claim-pattern.js'

// #20: trust-policy conditions — exact strings, or a `*` glob within one claim that never crosses a `:`.

const numRuns = 2000

/** The meaning of a pattern, written the obvious way: every character literal, `*` = any run without `:`. */
function reference(pattern: string, value: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('[^:]*')
  return new RegExp(`^${source}$`, 'su').test(value)
}

const valueChar = fc.constantFrom('a', 'b', '/', ':', '.', '-', 'refs', 'heads', '\n', 'é')
const patternChar = fc.constantFrom('a', 'b', '/', ':', '.', '-', 'refs', 'heads', '*', '?', '\n')
const value = fc.array(valueChar, { maxLength: 12 }).map((parts) => parts.join(''))
const pattern = fc.array(patternChar, { maxLength: 10 }).map((parts) => parts.join(''))

describe('claim patterns (#20)', () => {
  it('exact strings match only themselves', () => {
    expect(matchesPattern('acme/web', 'acme/web')).toBe(true)
    expect(matchesPattern('acme/web', 'acme/web2')).toBe(false)
    expect(matchesPattern('acme/web', 'Acme/web')).toBe(false)
    expect(matchesPattern('acme.web', 'acmexweb')).toBe(false) // no regex meaning for '.'
    expect(matchesPattern('acme/web', ' acme/web')).toBe(false)
  })

  it('refs/heads/* matches branches and nothing else', () => {
    expect(matchesPattern('refs/heads/*', 'refs/heads/main')).toBe(true)
    expect(matchesPattern('refs/heads/*', 'refs/heads/release/1.2')).toBe(true)
    for (const other of [
      'refs/tags/v1',
      'refs/heads',
      'xrefs/heads/main',
      'refs/heads:main',
      'refs/heads/main:environment:prod',
      'refs/pull/1/merge',
      'REFS/HEADS/main',
    ]) {
      expect(matchesPattern('refs/heads/*', other), other).toBe(false)
    }
  })

  it('a * in sub stays within its field', () => {
    const pattern = 'repo:acme/*:ref:refs/heads/main'
    expect(matchesPattern(pattern, 'repo:acme/web:ref:refs/heads/main')).toBe(true)
    expect(matchesPattern(pattern, 'repo:acme/web:ref:refs/heads/evil:ref:refs/heads/main')).toBe(false)
    expect(matchesPattern(pattern, 'repo:acme/x:environment:prod:ref:refs/heads/main')).toBe(false)
    expect(matchesPattern('repo:acme/web:*', 'repo:acme/web:ref:refs/heads/main')).toBe(false)
    expect(matchesPattern('repo:acme/web:*:*', 'repo:acme/web:ref:refs/heads/main')).toBe(true)
  })

  it('only strings, numbers and booleans can match', () => {
    expect(matchesPattern('42', 42)).toBe(true)
    expect(matchesPattern('true', true)).toBe(true)
    expect(matchesPattern('*', ['a'])).toBe(false)
    expect(matchesPattern('*', { a: 1 })).toBe(false)
    expect(matchesPattern('*', null)).toBe(false)
    expect(matchesPattern('*', undefined)).toBe(false)
    expect(matchesPattern('*', 'x'.repeat(5000))).toBe(false) // longer than any claim we compare
  })

  it('stays fast on patterns that make regular expressions backtrack', () => {
    expect(matchesPattern('*a*a*a*a*a*a*a*a*b', 'a'.repeat(2000))).toBe(false)
  })

  it('property: agrees with the obvious regular expression on random patterns and values', () => {
    fc.assert(
      fc.property(pattern, value, (p, v) => {
        expect(matchesPattern(p, v)).toBe(reference(p, v))
      }),
      { numRuns },
    )
  })

  it('property: a pattern without * matches exactly the equal string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (p, v) => {
        fc.pre(!p.includes('*'))
        expect(matchesPattern(p, v)).toBe(p === v)
        expect(matchesPattern(p, p)).toBe(true)
      }),
      { numRuns },
    )
  })

  it('property: prefix/* matches exactly the values with that prefix and no : after it', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '/', ':', '.', '*'), maxLength: 12 })
    fc.assert(
      fc.property(text, text, (prefix, rest) => {
        fc.pre(!prefix.includes('*') && !prefix.includes(':'))
        const v = prefix + rest
        expect(matchesPattern(`${prefix}*`, v)).toBe(!rest.includes(':'))
        // and nothing that does not start with the prefix
        if (prefix.length > 0)
          expect(matchesPattern(`${prefix}*`, rest.startsWith(prefix) ? '' : rest)).toBe(false)
      }),
      { numRuns },
    )
  })
})
