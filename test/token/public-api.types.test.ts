// Type-level tests of the package root: `npm run typecheck` fails if the public types drift.
import { describe, expectTypeOf, it } from 'vitest'
import {
  attenuate,
  type CrumbError,
  type ErrorCode,
  inspectToken,
  Macaroon,
  type TokenClaims,
  type TokenInspection,
  verifyToken,
} from '../../src/index.js'

describe('public API types', () => {
  it('macaroon bytes are Uint8Array and encode is overloaded by format', () => {
    const m = Macaroon.mint({ rootKey: 'k', identifier: 'id' })
    expectTypeOf(m.signature).toEqualTypeOf<Uint8Array>()
    expectTypeOf(m.identifier).toEqualTypeOf<Uint8Array>()
    expectTypeOf(m.encode('v2')).toEqualTypeOf<Uint8Array>()
    expectTypeOf(m.encode('v1')).toEqualTypeOf<Uint8Array>()
    expectTypeOf(m.encode('json')).toEqualTypeOf<string>()
    expectTypeOf(m.addFirstPartyCaveat).returns.toEqualTypeOf<Macaroon>()
    expectTypeOf(m.verify).returns.toEqualTypeOf<void>()
  })

  it('crumb layer returns typed claims and inspections', () => {
    expectTypeOf(attenuate).returns.toEqualTypeOf<string>()
    expectTypeOf(verifyToken).returns.toEqualTypeOf<TokenClaims>()
    expectTypeOf(inspectToken).returns.toEqualTypeOf<TokenInspection>()
    expectTypeOf<TokenClaims['ops']>().toEqualTypeOf<readonly string[] | null>()
    expectTypeOf<TokenClaims['expiresAt']>().toEqualTypeOf<Date | null>()
  })

  it('error codes are a closed union', () => {
    expectTypeOf<CrumbError['code']>().toEqualTypeOf<ErrorCode>()
    expectTypeOf<'token_revoked'>().toExtend<ErrorCode>()
    expectTypeOf<'some_other_code'>().not.toExtend<ErrorCode>()
  })
})
