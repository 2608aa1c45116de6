import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultRegistry } from '../../caveats/index.js'
import { decodeToken } from '../../src/token/format.js'
import { generateKeyRing, revocationIdOf, rotateKeyRing } from '../../src/token/index.js'
import * as crumb from '../../src/verifier/index.js'
import { LocalVerifier } from '../../src/verifier/local.js'
import { FakeTokenService } from './fake-service.js'
import { attenuate, eventually, FAR_FUTURE, mintFixture } from './helpers.js'

const DEFERRED = new Set(['org', 'app', 'op'] as const)

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as crumb.CrumbError).code
  }
  return undefined
}

describe('local verification memo', () => {
  const fx = mintFixture()
  let service: FakeTokenService
  let sync: crumb.RevocationSync
  let local: LocalVerifier

  beforeEach(async () => {
    service = await new FakeTokenService(fx.ring, 'svc').start()
    sync = new crumb.RevocationSync({ url: `${service.url}/v1/revocations`, token: 'svc', waitSeconds: 1 })
    sync.start()
    await sync.ready()
    local = new LocalVerifier({
      keys: { current: fx.ring, close: () => {} },
      sync,
      registry: defaultRegistry(),
      deferred: DEFERRED,
      leewayMs: 0,
    })
  })
  afterEach(async () => {
    local.close()
    await sync.stop()
    await service.stop()
  })

  it('remembers tokens that verified and serves repeats with the same claims', () => {
    const t = attenuate(fx.token, ['org = acme', 'ops = read'])
    const first = local.verify(t, { ip: '127.0.0.1' }, new Date())
    expect(local.size).toBe(1)
    const again = local.verify(t, { ip: '127.0.0.1', device: 'd1' }, new Date())
    expect(again).toMatchObject({ tokenId: first.tokenId, orgs: ['acme'], ops: ['read'], device: 'd1' })
    expect(again.revocationId).toBe(first.revocationId)
  })

  it('never lets a token ride on a remembered one that ends the same (the memo key)', () => {
    const t = attenuate(fx.token, ['org = acme', 'ops = read'])
    local.verify(t, {}, new Date())
    // Same signature characters at the end, one earlier character changed: a forgery.
    const at = 12
    const forged = t.slice(0, at) + (t[at] === 'A' ? 'B' : 'A') + t.slice(at + 1)
    expect(forged.slice(-43)).toBe(t.slice(-43))
    expect(codeOf(() => local.verify(forged, {}, new Date()))).toBe('invalid_token')
    expect(local.verify(t, {}, new Date()).orgs).toEqual(['acme']) // the real one still passes
  })

  it("re-checks time, device and ip on a repeat, refusing with the full verification's answer", () => {
    const soon = new Date(Date.now() + 60_000)
    const t = attenuate(fx.token, [`expires = ${soon.toISOString()}`, 'ip = 10.0.0.0/8', 'device = ci-1'])
    local.verify(t, { ip: '10.1.1.1', device: 'ci-1' }, new Date())
    expect(codeOf(() => local.verify(t, { ip: '192.168.0.1', device: 'ci-1' }, new Date()))).toBe(
      'caveat_failed',
    )
    expect(codeOf(() => local.verify(t, { ip: '10.1.1.1' }, new Date()))).toBe('caveat_failed')
    expect(
      codeOf(() => local.verify(t, { ip: '10.1.1.1', device: 'ci-1' }, new Date(soon.getTime() + 1))),
    ).toBe('token_expired')
    expect(local.verify(t, { ip: '10.1.1.1', device: 'ci-1' }, new Date()).tokenId).toBe(fx.tokenId)
  })

  it('forgets a token when the feed revokes it, its parent, or replaces the list', async () => {
    const a = attenuate(fx.token, ['ops = read'])
    const aChild = attenuate(a, ['org = acme'])
    const b = attenuate(fx.token, ['ops = write'])
    for (const t of [a, aChild, b]) local.verify(t, {}, new Date())
    expect(local.size).toBe(3)
    service.revoke({
      token_id: fx.tokenId,
      revocation_id: revocationIdOf(decodeToken(a).signature),
      expires_at: FAR_FUTURE,
    })
    await eventually(() => local.size === 0, 2_000)
    expect(codeOf(() => local.verify(a, {}, new Date()))).toBe('token_revoked')
    expect(codeOf(() => local.verify(aChild, {}, new Date()))).toBe('token_revoked')
    expect(local.verify(b, {}, new Date()).tokenId).toBe(fx.tokenId)
    service.revoke({ token_id: fx.tokenId, expires_at: FAR_FUTURE })
    await eventually(() => sync.list.isTokenRevoked(fx.tokenId), 2_000)
    expect(codeOf(() => local.verify(b, {}, new Date()))).toBe('token_revoked')
  })

  it('verifies again under a new key ring, and does not remember tokens with discharges', () => {
    let ring = fx.ring
    const other = new LocalVerifier({
      keys: {
        get current() {
          return ring
        },
        close: () => {},
      },
      sync: undefined,
      registry: defaultRegistry(),
      deferred: DEFERRED,
      leewayMs: 0,
    })
    other.verify(fx.token, {}, new Date())
    expect(other.size).toBe(1)
    // The token's kid is gone from the new ring: the memo must not vouch for it.
    ring = rotateKeyRing(generateKeyRing())
    expect(codeOf(() => other.verify(fx.token, {}, new Date()))).toBe('invalid_token')
    ring = fx.ring
    expect(codeOf(() => other.verify(`${fx.token},${fx.token}`, {}, new Date()))).toBeDefined()
    expect(other.size).toBe(1)
    other.close()
  })
})
