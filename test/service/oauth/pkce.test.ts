// #19: PKCE S256 (RFC 7636), the only method crumb's authorization server takes.
import { createHash, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  isCodeVerifier,
  isS256Challenge,
  s256Challenge,
  verifyPkceS256,
} from '../../../src/service/oauth/pkce.js'

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'

describe('PKCE S256', () => {
  it('matches the RFC 7636 example', () => {
    expect(s256Challenge(VERIFIER)).toBe(CHALLENGE)
    expect(verifyPkceS256(VERIFIER, CHALLENGE)).toBe(true)
  })

  it('refuses another verifier, a plain challenge, and malformed input', () => {
    expect(verifyPkceS256(`${VERIFIER.slice(0, -1)}l`, CHALLENGE)).toBe(false)
    expect(verifyPkceS256(VERIFIER, VERIFIER)).toBe(false) // "plain" method
    expect(verifyPkceS256('short', s256Challenge('short'))).toBe(false)
    expect(verifyPkceS256('a'.repeat(129), s256Challenge('a'.repeat(129)))).toBe(false)
    expect(verifyPkceS256(`${'a'.repeat(42)} `, CHALLENGE)).toBe(false)
    expect(verifyPkceS256(VERIFIER, `${CHALLENGE}=`)).toBe(false)
    expect(verifyPkceS256(VERIFIER, '')).toBe(false)
  })

  it('checks shapes: verifier 43-128 unreserved characters, challenge 43 base64url', () => {
    expect(isCodeVerifier('a'.repeat(43))).toBe(true)
    expect(isCodeVerifier('a'.repeat(128))).toBe(true)
    expect(isCodeVerifier('a'.repeat(42))).toBe(false)
    expect(isCodeVerifier(`${'a'.repeat(42)}+`)).toBe(false)
    expect(isS256Challenge(CHALLENGE)).toBe(true)
    expect(isS256Challenge(CHALLENGE.slice(1))).toBe(false)
  })

  it('agrees with node:crypto on random verifiers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 32, max: 96 }), (n) => {
        const verifier = randomBytes(n).toString('base64url').slice(0, 128)
        fc.pre(verifier.length >= 43)
        const challenge = createHash('sha256').update(verifier).digest('base64url')
        return verifyPkceS256(verifier, challenge) && !verifyPkceS256(verifier, s256Challenge(`${verifier}x`))
      }),
    )
  })
})
