import { describe, expect, it } from 'vitest'
import { org } from '../../caveats/index.js'
import { context } from './context.js'

describe('org caveat', () => {
  it('parses a comma list, tolerating spaces and dropping duplicates', () => {
    expect(org.parse('acme, beta ,acme')).toEqual(['acme', 'beta'])
    expect(org.parse('  acme  ')).toEqual(['acme'])
  })

  it('formats canonically and round-trips', () => {
    const value = org.parse('acme , beta.io,x_1-2')
    expect(org.format(value)).toBe('acme,beta.io,x_1-2')
    expect(org.parse(org.format(value))).toEqual(value)
  })

  it.each([
    '',
    ' ',
    ',',
    'acme,',
    ',acme',
    'acme,,beta',
    '-acme',
    'ac me',
    'acme!',
    'ümlaut',
    'a'.repeat(65),
  ])('rejects %j', (text) => {
    expect(() => org.parse(text)).toThrow()
  })

  it('accepts a 64-character name', () => {
    expect(org.parse('a'.repeat(64))).toEqual(['a'.repeat(64)])
  })

  it('admits a listed org and refuses another with insufficient_scope', () => {
    const value = org.parse('acme,beta')
    expect(org.check(value, context({ org: 'beta' }))).toEqual({ ok: true })
    expect(org.check(value, context({ org: 'gamma' }))).toMatchObject({
      ok: false,
      code: 'insufficient_scope',
    })
    expect(org.check(value, context({ org: 'ACME' }))).toMatchObject({
      ok: false,
      code: 'insufficient_scope',
    })
  })

  it('fails a request that declares no org with caveat_failed', () => {
    expect(org.check(org.parse('acme'), context())).toMatchObject({ ok: false, code: 'caveat_failed' })
  })

  it('intersects to the common names, possibly none', () => {
    expect(org.intersect(org.parse('acme,beta'), org.parse('beta,gamma'))).toEqual(['beta'])
    const none = org.intersect(org.parse('acme'), org.parse('beta'))
    expect(none).toEqual([])
    expect(org.check(none, context({ org: 'acme' })).ok).toBe(false)
  })
})
