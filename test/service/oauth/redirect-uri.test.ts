// #19: redirect-URI rules: https, or http on a loopback host at any port (RFC 8252 §7.3); exact match.
import { describe, expect, it } from 'vitest'
import {
  redirectUriMatches,
  redirectUriProblem,
  resolveRedirectUri,
} from '../../../src/service/oauth/redirect-uri.js'

describe('redirect URIs', () => {
  it.each([
    'https://app.example/callback',
    'https://app.example:8443/cb?x=1',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:53123/callback',
    'http://[::1]:8080/cb',
    'http://localhost:3000/oauth/callback',
  ])('accepts %j', (uri) => {
    expect(redirectUriProblem(uri)).toBeUndefined()
  })

  it.each([
    '',
    'http://app.example/callback',
    'http://127.0.0.2.example/cb',
    'ftp://app.example/cb',
    'javascript:alert(1)',
    'data:text/html,hi',
    'com.example.app:/callback',
    '/relative/callback',
    'https://app.example/cb#frag',
    'https://user:pw@app.example/cb',
    ' https://app.example/cb',
    `https://app.example/${'a'.repeat(2000)}`,
  ])('refuses %j', (uri) => {
    expect(redirectUriProblem(uri)).toEqual(expect.any(String))
  })

  it('matches exactly, except a loopback http port', () => {
    expect(redirectUriMatches('https://app.example/cb', 'https://app.example/cb')).toBe(true)
    expect(redirectUriMatches('https://app.example/cb', 'https://app.example/cb/')).toBe(false)
    expect(redirectUriMatches('https://app.example/cb', 'https://APP.example/cb')).toBe(false)
    expect(redirectUriMatches('https://app.example/cb', 'https://app.example/cb?x=1')).toBe(false)
    expect(redirectUriMatches('https://app.example/cb', 'https://app.example:444/cb')).toBe(false)
    expect(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:53123/cb')).toBe(true)
    expect(redirectUriMatches('http://127.0.0.1:8000/cb', 'http://127.0.0.1:9000/cb')).toBe(true)
    expect(redirectUriMatches('http://[::1]:8000/cb', 'http://[::1]:1/cb')).toBe(true)
    expect(redirectUriMatches('http://127.0.0.1:8000/cb', 'http://127.0.0.1:9000/other')).toBe(false)
    expect(redirectUriMatches('http://127.0.0.1:8000/cb', 'http://localhost:8000/cb')).toBe(false)
    expect(redirectUriMatches('http://127.0.0.1/cb', 'https://127.0.0.1/cb')).toBe(false)
    expect(redirectUriMatches('http://127.0.0.1/cb?a=1', 'http://127.0.0.1:5/cb?a=2')).toBe(false)
    expect(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:5/cb#x')).toBe(false)
  })

  it('resolves the redirect URI of a request against the registration', () => {
    expect(resolveRedirectUri(['https://a.example/cb'], undefined)).toBe('https://a.example/cb')
    expect(resolveRedirectUri(['https://a.example/cb', 'https://a.example/2'], undefined)).toBeUndefined()
    expect(resolveRedirectUri(['http://127.0.0.1/cb'], 'http://127.0.0.1:4000/cb')).toBe(
      'http://127.0.0.1:4000/cb',
    )
    expect(resolveRedirectUri(['https://a.example/cb'], 'https://evil.example/cb')).toBeUndefined()
  })
})
