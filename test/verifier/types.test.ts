import type { Request, RequestHandler } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import * as crumb from '../../src/verifier/index.js'

describe('crumb/express types', () => {
  it('augments Express Request with req.crumb', () => {
    expectTypeOf<Request['crumb']>().toEqualTypeOf<crumb.CrumbAuth | undefined>()
    expectTypeOf<crumb.CrumbAuth>().toHaveProperty('userId').toEqualTypeOf<string>()
    expectTypeOf<crumb.CrumbAuth>().toHaveProperty('ops').toEqualTypeOf<readonly string[] | null>()
    expectTypeOf<crumb.CrumbAuth>().toHaveProperty('expiresAt').toEqualTypeOf<Date | null>()
    expectTypeOf<crumb.CrumbAuth>().toHaveProperty('device').toEqualTypeOf<string | undefined>()
  })

  it('exposes verifier and require in the namespace style', () => {
    expectTypeOf(crumb.verifier).returns.toMatchTypeOf<RequestHandler>()
    expectTypeOf(crumb.verifier).returns.toHaveProperty('ready').returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf(crumb.require).returns.toEqualTypeOf<RequestHandler>()
    expectTypeOf(crumb.require).parameter(0).toEqualTypeOf<crumb.RequireOptions>()
    expectTypeOf<crumb.ScopeValue>().toEqualTypeOf<string | ((req: Request) => string | undefined)>()
  })

  it('refuses options of the wrong shape at compile time', () => {
    // @ts-expect-error mode is local or remote
    expectTypeOf<crumb.VerifierOptions>().toMatchTypeOf<{ mode: 'hybrid' }>()
    expectTypeOf<{
      keys: string
      maxStaleness: '5m'
      revocations: { url: string; token: string }
    }>().toMatchTypeOf<crumb.VerifierOptions>()
  })
})
