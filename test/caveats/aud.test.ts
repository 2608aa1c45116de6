import { describe, expect, it } from 'vitest'
import { aud, canonicalAudience, defaultRegistry } from '../../caveats/index.js'
import { context } from './context.js'

// #19: the `aud` caveat of DESIGN.md's caveat table.
describe('aud caveat', () => {
  it('parses a comma list of absolute URIs into canonical form, dropping duplicates', () => {
    expect(aud.parse('https://deploy.example')).toEqual(['https://deploy.example'])
    expect(
      aud.parse(' HTTPS://Deploy.Example:443/ , https://api.example/mcp,https://deploy.example'),
    ).toEqual(['https://deploy.example', 'https://api.example/mcp'])
    expect(aud.parse('http://127.0.0.1:8080/')).toEqual(['http://127.0.0.1:8080'])
    expect(aud.parse('urn:example:deploy')).toEqual(['urn:example:deploy'])
  })

  it('keeps a path exactly (a trailing slash on a path is significant)', () => {
    expect(aud.parse('https://api.example/mcp/')).toEqual(['https://api.example/mcp/'])
    expect(aud.parse('https://api.example/mcp?x=1')).toEqual(['https://api.example/mcp?x=1'])
  })

  it('formats canonically and round-trips', () => {
    const value = aud.parse('https://Deploy.Example/,https://api.example/mcp')
    expect(aud.format(value)).toBe('https://deploy.example,https://api.example/mcp')
    expect(aud.parse(aud.format(value))).toEqual(value)
  })

  it.each([
    '',
    ' ',
    ',',
    'https://deploy.example,',
    'deploy.example',
    '/relative/path',
    'https://deploy.example/#frag',
    'https://user:pass@deploy.example',
    'https://deploy .example',
    `https://deploy.example/${'a'.repeat(520)}`,
  ])('rejects %j', (text) => {
    expect(() => aud.parse(text)).toThrow()
  })

  it('holds when the verifier is one of the audiences', () => {
    const value = aud.parse('https://deploy.example,https://api.example/mcp')
    expect(aud.check(value, context({ aud: 'https://deploy.example' }))).toEqual({ ok: true })
    expect(aud.check(value, context({ aud: 'https://api.example/mcp' }))).toEqual({ ok: true })
  })

  it('fails for another audience with caveat_failed', () => {
    const value = aud.parse('https://deploy.example')
    expect(aud.check(value, context({ aud: 'https://other.example' }))).toMatchObject({
      ok: false,
      code: 'caveat_failed',
    })
    expect(aud.check(value, context({ aud: 'https://deploy.example/v2' })).ok).toBe(false)
  })

  it('fails closed in a verifier with no audience', () => {
    expect(aud.check(aud.parse('https://deploy.example'), context())).toMatchObject({
      ok: false,
      code: 'caveat_failed',
    })
  })

  it('intersects to the common audiences, possibly none', () => {
    const both = aud.parse('https://a.example,https://b.example')
    expect(aud.intersect(both, aud.parse('https://b.example,https://c.example'))).toEqual([
      'https://b.example',
    ])
    const none = aud.intersect(aud.parse('https://a.example'), aud.parse('https://b.example'))
    expect(none).toEqual([])
    expect(aud.check(none, context({ aud: 'https://a.example' })).ok).toBe(false)
  })

  it('is a built-in kind of the default registry', () => {
    expect(defaultRegistry().parseCaveat('aud = https://deploy.example').kind).toBe(aud)
  })

  it('compares a verifier audience the same way (canonicalAudience)', () => {
    expect(canonicalAudience('https://DEPLOY.example:443/')).toBe('https://deploy.example')
    expect(canonicalAudience('http://localhost:80')).toBe('http://localhost')
    expect(() => canonicalAudience('not a uri')).toThrow()
  })
})
