/**
 * The one bearer/token extraction (#16 item 5): DESIGN.md "Token string". (normalizeIp, the one
 * IPv4-mapped normaliser, is tested through the verifier's export in test/verifier/extract.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { bearerCredentials, presentedToken } from '../../src/wire/token.js'

describe('bearerCredentials', () => {
  it('takes the scheme in any case and trims the credentials', () => {
    expect(bearerCredentials('Bearer crumb_AAA')).toBe('crumb_AAA')
    expect(bearerCredentials('bearer\tcrumb_AAA \t')).toBe('crumb_AAA')
    expect(bearerCredentials('BEARER   crumb_AAA,crumb_BBB')).toBe('crumb_AAA,crumb_BBB')
  })

  it('refuses other schemes, a missing separator and empty credentials', () => {
    expect(bearerCredentials('Basic dXNlcjpwYXNz')).toBeUndefined()
    expect(bearerCredentials('Bearercrumb_AAA')).toBeUndefined()
    expect(bearerCredentials('Bearer')).toBeUndefined()
    expect(bearerCredentials('Bearer    ')).toBeUndefined()
    expect(bearerCredentials(' Bearer crumb_AAA')).toBeUndefined()
  })
})

describe('presentedToken', () => {
  it('reads a token with its discharges, comma-joined, as sent', () => {
    expect(presentedToken({ authorization: 'Bearer crumb_A,crumb_B' })).toEqual({
      kind: 'token',
      token: 'crumb_A,crumb_B',
      header: 'authorization',
    })
  })

  it('reads X-API-Key (the first of repeated headers), trimmed', () => {
    expect(presentedToken({ 'x-api-key': ' crumb_K ' })).toEqual({
      kind: 'token',
      token: 'crumb_K',
      header: 'x-api-key',
    })
    expect(presentedToken({ 'x-api-key': ['crumb_1', 'crumb_2'] } as never)).toMatchObject({
      token: 'crumb_1',
    })
  })

  it('prefers Authorization over X-API-Key', () => {
    expect(presentedToken({ authorization: 'Bearer crumb_A', 'x-api-key': 'crumb_K' })).toMatchObject({
      token: 'crumb_A',
      header: 'authorization',
    })
  })

  it('tells another scheme from no token at all', () => {
    expect(presentedToken({ authorization: 'Basic dXNlcjpwYXNz' })).toEqual({ kind: 'other-scheme' })
    expect(presentedToken({ authorization: 'Bearer ' })).toEqual({ kind: 'other-scheme' })
    expect(presentedToken({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': 'crumb_K' })).toMatchObject({
      token: 'crumb_K',
      header: 'x-api-key',
    })
    expect(presentedToken({})).toEqual({ kind: 'none' })
    expect(presentedToken({ authorization: '', 'x-api-key': '  ' })).toEqual({ kind: 'none' })
  })
})
