import { describe, expect, it } from 'vitest'
import { deviceOf, extractToken, normalizeIp } from '../../src/verifier/index.js'

describe('extractToken', () => {
  it('reads Authorization: Bearer, any case, with comma-joined discharges', () => {
    expect(extractToken({ authorization: 'Bearer crumb_AAA' })).toBe('crumb_AAA')
    expect(extractToken({ authorization: 'bearer   crumb_AAA,crumb_BBB  ' })).toBe('crumb_AAA,crumb_BBB')
    expect(extractToken({ authorization: 'BEARER crumb_AAA' })).toBe('crumb_AAA')
  })

  it('reads X-API-Key', () => {
    expect(extractToken({ 'x-api-key': ' crumb_AAA ' })).toBe('crumb_AAA')
    expect(extractToken({ 'x-api-key': ['crumb_A', 'crumb_B'] } as never)).toBe('crumb_A')
  })

  it('prefers Authorization over X-API-Key', () => {
    expect(extractToken({ authorization: 'Bearer crumb_AAA', 'x-api-key': 'crumb_BBB' })).toBe('crumb_AAA')
  })

  it('ignores other schemes and empty values', () => {
    expect(extractToken({ authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined()
    expect(extractToken({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': 'crumb_K' })).toBe('crumb_K')
    expect(extractToken({ authorization: 'Bearer' })).toBeUndefined()
    expect(extractToken({ authorization: 'Bearer   ' })).toBeUndefined()
    expect(extractToken({ 'x-api-key': '' })).toBeUndefined()
    expect(extractToken({})).toBeUndefined()
  })
})

describe('request facts', () => {
  it('normalizes IPv4-mapped IPv6 client addresses', () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(normalizeIp('::FFFF:10.1.2.3')).toBe('10.1.2.3')
    expect(normalizeIp('::1')).toBe('::1')
    expect(normalizeIp('2001:db8::1')).toBe('2001:db8::1')
    expect(normalizeIp('')).toBeUndefined()
    expect(normalizeIp(undefined)).toBeUndefined()
  })

  it('reads the declared device from Crumb-Device', () => {
    expect(deviceOf({ 'crumb-device': 'ci-runner-3' })).toBe('ci-runner-3')
    expect(deviceOf({ 'crumb-device': '  ' })).toBeUndefined()
    expect(deviceOf({})).toBeUndefined()
  })
})
