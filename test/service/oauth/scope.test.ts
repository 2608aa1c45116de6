// #19: the OAuth scope language of DESIGN.md (read, write, deploy, org:NAME, app:NAME).
import { describe, expect, it } from 'vitest'
import { defaultRegistry } from '../../../caveats/index.js'
import { OAuthError } from '../../../src/service/oauth/errors.js'
import {
  admitsNothing,
  describeScope,
  formatScope,
  intersectScope,
  isScopeWithin,
  parseScope,
  scopeCaveats,
} from '../../../src/service/oauth/scope.js'

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (error) {
    return error instanceof OAuthError ? error.code : 'other'
  }
  return undefined
}

describe('OAuth scope language', () => {
  it('parses ops, orgs and apps in any order, dropping repeats', () => {
    expect(parseScope('org:acme deploy read app:web org:beta read')).toEqual({
      ops: ['read', 'deploy'],
      orgs: ['acme', 'beta'],
      apps: ['web'],
    })
    expect(parseScope('read')).toEqual({ ops: ['read'], orgs: null, apps: null })
    expect(parseScope('')).toEqual({ ops: null, orgs: null, apps: null })
    expect(parseScope('  read   write ')).toEqual({ ops: ['read', 'write'], orgs: null, apps: null })
  })

  it.each([
    'admin',
    'READ',
    'org:',
    'org:-acme',
    'org:acme,beta',
    'app:web!',
    'org=acme',
    'read\twrite',
    `org:${'a'.repeat(65)}`,
    'x'.repeat(3000),
    Array.from({ length: 65 }, (_, i) => `org:o${i}`).join(' '),
  ])('refuses %j with invalid_scope', (text) => {
    expect(codeOf(() => parseScope(text))).toBe('invalid_scope')
  })

  it('formats canonically and round-trips', () => {
    const scope = parseScope('app:web deploy org:acme read')
    expect(formatScope(scope)).toBe('read deploy org:acme app:web')
    expect(parseScope(formatScope(scope))).toEqual(scope)
    expect(formatScope(parseScope(''))).toBe('')
  })

  it('turns into caveats that every crumb verifier parses', () => {
    const caveats = scopeCaveats(parseScope('read deploy org:acme app:web'))
    expect(caveats).toEqual(['ops = read,deploy', 'org = acme', 'app = web'])
    for (const text of caveats) expect(() => defaultRegistry().parseCaveat(text)).not.toThrow()
    expect(scopeCaveats(parseScope(''))).toEqual([])
  })

  it('intersects (consent narrows the request) and refuses a scope that admits nothing', () => {
    const requested = parseScope('read write org:acme org:beta')
    const chosen = intersectScope(requested, parseScope('read org:beta app:web'))
    expect(chosen).toEqual({ ops: ['read'], orgs: ['beta'], apps: ['web'] })
    expect(isScopeWithin(chosen, requested)).toBe(true)
    expect(isScopeWithin(requested, chosen)).toBe(false)
    expect(isScopeWithin(parseScope(''), parseScope('read'))).toBe(false)
    expect(isScopeWithin(parseScope('read'), parseScope(''))).toBe(true)
    const none = intersectScope(parseScope('read'), parseScope('write'))
    expect(admitsNothing(none)).toBe(true)
    expect(codeOf(() => scopeCaveats(none))).toBe('invalid_scope')
  })

  it('reads as words on the consent page', () => {
    expect(describeScope(parseScope('read deploy org:acme'))).toEqual([
      'It can: see your orgs, apps and their status; deploy apps',
      'In orgs: acme',
      'In apps: all apps',
    ])
    expect(describeScope(parseScope(''))[0]).toMatch(/everything/)
  })
})
