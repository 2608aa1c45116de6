import { describe, expect, it } from 'vitest'
import { defaultRegistry, type RequestContext } from '../../caveats/index.js'
import { compileCaveats, failedCheck } from '../../src/token/caveat-checks.js'

const TEXTS = ['expires = 2026-12-01T00:00:00Z', 'ops = read,write', 'org = acme', 'ip = 10.0.0.0/8']
const indexed = TEXTS.map((t, i) => [String(i), t] as const)
const ctx = (facts: Partial<RequestContext>): RequestContext => ({
  now: new Date('2026-11-22T00:00:00Z'),
  leewayMs: 0,
  ...facts,
})
const ok = ctx({ op: 'read', org: 'acme', ip: '10.0.0.1' })

describe('compileCaveats + failedCheck', () => {
  const { checks, parsed, unparsed } = compileCaveats(indexed, defaultRegistry(), undefined)

  it('passes when every caveat holds', () => {
    expect(parsed).toHaveLength(4)
    expect(unparsed).toBeUndefined()
    expect(failedCheck(checks, ok)).toBeUndefined()
  })

  it('names the first failure by index, text and code', () => {
    expect(failedCheck(checks, { ...ok, op: 'deploy', ip: '192.168.0.1' })).toMatchObject({
      caveatIndex: 1,
      caveat: 'ops = read,write',
      code: 'insufficient_scope',
    })
    expect(failedCheck(checks, ctx({ ip: '10.0.0.1' }))).toMatchObject({
      caveatIndex: 1,
      code: 'caveat_failed',
    })
  })

  it('reports an expiry before an earlier failure', () => {
    expect(failedCheck(checks, { ...ok, op: 'deploy', now: new Date('2027-01-01T00:00:00Z') })).toMatchObject(
      {
        caveatIndex: 0,
        code: 'token_expired',
      },
    )
  })

  it('skips deferred dimensions but still parses them for the scope', () => {
    const deferred = compileCaveats(indexed, defaultRegistry(), new Set(['org', 'app', 'op'] as const))
    expect(deferred.parsed).toHaveLength(4)
    expect(failedCheck(deferred.checks, ctx({ ip: '10.0.0.1' }))).toBeUndefined()
    expect(failedCheck(deferred.checks, ctx({ ip: '11.0.0.1' }))).toMatchObject({
      caveatIndex: 3,
      code: 'caveat_failed',
    })
  })

  it('fails closed on a caveat that does not parse; discharge caveats carry no primary index', () => {
    const bad = compileCaveats(
      [
        ['0', 'org = acme'],
        ['1.0', 'colour = red'],
      ],
      defaultRegistry(),
      undefined,
    )
    expect(bad.unparsed).toMatchObject({
      code: 'caveat_failed',
      caveat: 'colour = red',
      caveatIndex: undefined,
    })
  })
})
