import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CrumbError } from '../../src/errors.js'
import { attenuate, generateKeyRing, mintRootToken, verifyToken } from '../../src/index.js'

const ring = generateKeyRing()
const root = mintRootToken({ ring, userId: 'usr_prop', caveats: ['expires = 2099-01-01T00:00:00Z'] })
const NOW = new Date('2026-11-22T12:00:00Z')

const name = fc.constantFrom('acme', 'beta', 'gamma')
const op = fc.constantFrom('read', 'write', 'deploy')
const instant = fc
  .integer({ min: Date.parse('2026-11-01T00:00:00Z') / 1000, max: Date.parse('2026-12-31T00:00:00Z') / 1000 })
  .map((s) => `${new Date(s * 1000).toISOString().slice(0, 19)}Z`)
const list = <T extends string>(arb: fc.Arbitrary<T>): fc.Arbitrary<string> =>
  fc.uniqueArray(arb, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(','))
const caveat = fc.oneof(
  list(name).map((v) => `org = ${v}`),
  list(name).map((v) => `app = ${v}`),
  list(op).map((v) => `ops = ${v}`),
  instant.map((v) => `expires = ${v}`),
  instant.map((v) => `not-before = ${v}`),
  fc.constantFrom('laptop', 'ci').map((v) => `device = ${v}`),
  fc.constantFrom('10.0.0.0/8', '10.1.0.0/16', '192.168.1.7', '::1').map((v) => `ip = ${v}`),
)
const request = fc.record(
  {
    org: name,
    app: name,
    op,
    device: fc.constantFrom('laptop', 'ci'),
    ip: fc.constantFrom('10.1.2.3', '10.9.9.9', '192.168.1.7', '::1'),
  },
  { requiredKeys: [] },
)

function allowed(token: string, req: Record<string, string>): boolean {
  try {
    verifyToken(token, { keys: ring, request: req, now: NOW })
    return true
  } catch (e) {
    if (!(e instanceof CrumbError)) throw e
    return false
  }
}

describe('properties', () => {
  it('attenuation never widens: allowed after ⇒ allowed before', () => {
    fc.assert(
      fc.property(
        fc.array(caveat, { maxLength: 4 }),
        fc.array(caveat, { minLength: 1, maxLength: 3 }),
        request,
        (base, extra, req) => {
          const before = attenuate(root.token, base)
          const after = attenuate(before, extra)
          if (allowed(after, req)) expect(allowed(before, req)).toBe(true)
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('flipping any byte of a valid token makes verification fail', () => {
    const token = attenuate(root.token, ['org = acme', 'ops = read'])
    const bytes = Buffer.from(token.slice('crumb_'.length), 'base64url')
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const tampered = Buffer.from(bytes)
        tampered[at] = tampered[at]! ^ mask
        const text = `crumb_${tampered.toString('base64url')}`
        expect(() =>
          verifyToken(text, { keys: ring, request: { org: 'acme', op: 'read' }, now: NOW }),
        ).toThrow(CrumbError)
      }),
      { numRuns: 1000 },
    )
  })

  it('random strings given to verifyToken only ever produce a CrumbError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `crumb_${s}`),
          fc.base64String(),
        ),
        (s) => {
          expect(() => verifyToken(s, { keys: ring, now: NOW })).toThrow(CrumbError)
        },
      ),
      { numRuns: 1000 },
    )
  })
})
