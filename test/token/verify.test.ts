import { describe, expect, it } from 'vitest'
import { CrumbError } from '../../src/errors.js'
import {
  attenuate,
  authorizeScope,
  decodeToken,
  encodeToken,
  generateKeyRing,
  inspectToken,
  Macaroon,
  mintRootToken,
  RevocationList,
  retireKey,
  rotateKeyRing,
  verifyToken,
} from '../../src/index.js'
import { CHAIN_CACHE_MAX_BYTES, cachedChain, chainCacheBytes } from '../../src/token/chain-cache.js'
import { verifyTokenChecked } from '../../src/token/verify.js'

const ring = generateKeyRing()
const FUTURE = '2099-01-01T00:00:00Z'
const root = mintRootToken({ ring, userId: 'usr_alice', caveats: [`expires = ${FUTURE}`] })
const full = { org: 'acme', app: 'web', op: 'deploy', device: 'ci-7', ip: '10.1.2.3' }

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(CrumbError)
    return (e as CrumbError).code
  }
  return 'ok'
}

describe('verifyToken', () => {
  it('returns typed claims with the intersected scope', () => {
    const ci = attenuate(root.token, ['org = acme,beta', 'app = web', 'ops = read,deploy', 'ops = deploy'])
    const claims = verifyToken(ci, { keys: ring, request: full })
    expect(claims.userId).toBe('usr_alice')
    expect(claims.tokenId).toBe(root.tokenId)
    expect(claims.orgs).toEqual(['acme', 'beta'])
    expect(claims.ops).toEqual(['deploy'])
    expect(claims.expiresAt?.toISOString()).toBe('2099-01-01T00:00:00.000Z')
    expect(claims.revocationId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(JSON.parse(JSON.stringify(claims)).revocationId).toBe(claims.revocationId)
  })

  it('maps each failure to its DESIGN.md code', () => {
    const ro = attenuate(root.token, ['ops = read'])
    expect(codeOf(() => verifyToken(ro, { keys: ring, request: { op: 'write' } }))).toBe('insufficient_scope')
    expect(codeOf(() => verifyToken(ro, { keys: ring, request: {} }))).toBe('caveat_failed')
    const past = attenuate(root.token, ['expires = 2020-01-01T00:00:00Z'])
    expect(codeOf(() => verifyToken(past, { keys: ring, request: full }))).toBe('token_expired')
    const later = attenuate(root.token, ['not-before = 2098-01-01T00:00:00Z'])
    expect(codeOf(() => verifyToken(later, { keys: ring, request: full }))).toBe('token_expired')
    const dev = attenuate(root.token, ['device = laptop-7'])
    expect(codeOf(() => verifyToken(dev, { keys: ring, request: full }))).toBe('caveat_failed')
    const net = attenuate(root.token, ['ip = 192.168.0.0/16'])
    expect(codeOf(() => verifyToken(net, { keys: ring, request: full }))).toBe('caveat_failed')
    expect(codeOf(() => verifyToken('crumb_garbage', { keys: ring }))).toBe('invalid_token')
    expect(codeOf(() => verifyToken('', { keys: ring }))).toBe('invalid_token')
  })

  it('checks aud caveats against the verifier audience, refusing them without one (#19)', () => {
    const scoped = attenuate(root.token, ['aud = https://deploy.example,https://api.example/mcp'])
    const deploy = { keys: ring, request: full, audience: 'https://deploy.example' }
    expect(verifyToken(scoped, deploy).tokenId).toBe(root.tokenId)
    expect(codeOf(() => verifyToken(scoped, { ...deploy, audience: 'https://other.example' }))).toBe(
      'caveat_failed',
    )
    expect(codeOf(() => verifyToken(scoped, { keys: ring, request: full }))).toBe('caveat_failed')
    // A token naming no audience is accepted by a verifier that has one.
    expect(verifyToken(root.token, deploy).tokenId).toBe(root.tokenId)
    // Narrowing to a disjoint audience admits nowhere.
    const none = attenuate(scoped, ['aud = https://elsewhere.example'])
    expect(codeOf(() => verifyToken(none, deploy))).toBe('caveat_failed')
  })

  it('reports an expired token as expired even when another caveat also fails', () => {
    const t = attenuate(root.token, ['ops = read', 'expires = 2020-01-01T00:00:00Z'])
    expect(codeOf(() => verifyToken(t, { keys: ring, request: { op: 'write' } }))).toBe('token_expired')
  })

  it('fails closed on unknown caveats, naming index and text', () => {
    const m = decodeToken(root.token).addFirstPartyCaveat('region = eu')
    try {
      verifyToken(encodeToken(m), { keys: ring, request: full })
      expect.unreachable()
    } catch (e) {
      expect((e as CrumbError).code).toBe('caveat_failed')
      expect((e as CrumbError).caveatIndex).toBe(1)
      expect((e as CrumbError).caveat).toBe('region = eu')
    }
    const malformed = encodeToken(decodeToken(root.token).addFirstPartyCaveat('expires = tomorrow'))
    expect(codeOf(() => verifyToken(malformed, { keys: ring, request: full }))).toBe('caveat_failed')
  })

  it('honours clock-skew leeway on expiry', () => {
    const t = attenuate(root.token, ['expires = 2030-01-01T00:00:00Z'])
    const at = (iso: string): Date => new Date(iso)
    expect(codeOf(() => verifyToken(t, { keys: ring, now: at('2030-01-01T00:00:10Z') }))).toBe('ok')
    expect(codeOf(() => verifyToken(t, { keys: ring, now: at('2030-01-01T00:00:31Z') }))).toBe(
      'token_expired',
    )
    expect(codeOf(() => verifyToken(t, { keys: ring, now: at('2030-01-01T00:00:10Z'), leewayMs: 0 }))).toBe(
      'token_expired',
    )
  })

  it('refuses unknown and retired key ids, accepts old kids after rotation', () => {
    const other = generateKeyRing()
    expect(codeOf(() => verifyToken(root.token, { keys: other }))).toBe('invalid_token')
    const rotated = rotateKeyRing(ring)
    expect(codeOf(() => verifyToken(root.token, { keys: rotated }))).toBe('ok')
    const retired = retireKey(rotated, ring.primary)
    expect(codeOf(() => verifyToken(root.token, { keys: retired }))).toBe('invalid_token')
  })

  it('refuses a token whose signature was forged or whose caveat was stripped', () => {
    const ci = decodeToken(attenuate(root.token, ['ops = read']))
    const stripped = Macaroon.fromData({ ...ci.data, caveats: ci.caveats.slice(0, 1) })
    expect(codeOf(() => verifyToken(encodeToken(stripped), { keys: ring, request: { op: 'write' } }))).toBe(
      'invalid_token',
    )
  })

  it('defers org/app/op to authorizeScope, which fails closed', () => {
    const ci = attenuate(root.token, ['org = acme', 'ops = deploy'])
    const claims = verifyToken(ci, {
      keys: ring,
      request: {},
      deferred: new Set(['org', 'app', 'op'] as const),
    })
    expect(() => authorizeScope(claims, { op: 'deploy', org: 'acme' })).not.toThrow()
    expect(codeOf(() => authorizeScope(claims, { op: 'read', org: 'acme' }))).toBe('insufficient_scope')
    expect(codeOf(() => authorizeScope(claims, { op: 'deploy' }))).toBe('caveat_failed')
  })

  it('the chain cache never skips revocation or caveat checks', () => {
    const t = attenuate(root.token, ['ops = read'])
    const list = new RevocationList()
    expect(codeOf(() => verifyToken(t, { keys: ring, revocations: list, request: { op: 'read' } }))).toBe(
      'ok',
    )
    expect(codeOf(() => verifyToken(t, { keys: ring, revocations: list, request: { op: 'write' } }))).toBe(
      'insufficient_scope',
    )
    list.add({ tokenId: root.tokenId, expiresAt: new Date(FUTURE) })
    expect(codeOf(() => verifyToken(t, { keys: ring, revocations: list, request: { op: 'read' } }))).toBe(
      'token_revoked',
    )
  })

  // #15 item 2: distinct valid-but-refused tokens must not make the process hold more and more.
  it('the chain cache is bounded in bytes and never keeps large or forged tokens', () => {
    const padded = attenuate(
      root.token,
      Array.from({ length: 330 }, () => 'org = acme,acme-filler-x'),
    )
    for (let i = 0; i < 20; i++) {
      const big = attenuate(padded, [`app = probe-${i}`])
      expect(codeOf(() => verifyToken(big, { keys: ring, request: { org: 'acme', app: 'web' } }))).toBe(
        'insufficient_scope',
      )
      expect(cachedChain(big, ring)).toBeUndefined()
    }
    const forged = `${attenuate(root.token, ['app = web']).slice(0, -2)}AA`
    expect(codeOf(() => verifyToken(forged, { keys: ring }))).toBe('invalid_token')
    expect(cachedChain(forged, ring)).toBeUndefined()
    // Refused (no app declared), yet their chains verified: each is remembered, within the budget.
    for (let i = 0; i < 1_500; i++)
      codeOf(() => verifyToken(attenuate(root.token, [`app = small-${i}`]), { keys: ring }))
    expect(chainCacheBytes()).toBeLessThanOrEqual(CHAIN_CACHE_MAX_BYTES)
    expect(chainCacheBytes()).toBeGreaterThan(CHAIN_CACHE_MAX_BYTES / 2)
  })

  it('verifyTokenChecked returns the checks it ran: deferred dimensions left out, indexes as in errors', () => {
    const t = attenuate(root.token, ['org = acme', 'ip = 10.0.0.0/8', 'ops = read'])
    const deferred = new Set(['org', 'app', 'op'] as const)
    const { claims, checks } = verifyTokenChecked(t, { keys: ring, request: { ip: '10.1.2.3' }, deferred })
    expect(claims.orgs).toEqual(['acme'])
    expect(checks.map((c) => [c.index, c.caveat.text])).toEqual([
      ['0', `expires = ${FUTURE}`],
      ['2', 'ip = 10.0.0.0/8'],
    ])
  })
})

describe('revocation', () => {
  const ring2 = generateKeyRing()
  const r = mintRootToken({ ring: ring2, userId: 'usr_bob', caveats: [`expires = ${FUTURE}`] })
  const parent = attenuate(r.token, ['org = acme'])
  const child = attenuate(parent, ['ops = read'])
  const grandchild = attenuate(child, ['app = web'])
  const sibling = attenuate(parent, ['ops = write'])
  const req = { org: 'acme', op: 'read', app: 'web' }
  const verify = (t: string, revocations: RevocationList, request = req): string =>
    codeOf(() => verifyToken(t, { keys: ring2, revocations, request, cache: false }))

  it('revoking an attenuated token kills its descendants, not its parent or siblings', () => {
    const list = new RevocationList()
    const childClaims = verifyToken(child, { keys: ring2, request: req })
    list.add({ tokenId: r.tokenId, revocationId: childClaims.revocationId, expiresAt: new Date(FUTURE) })
    expect(verify(child, list)).toBe('token_revoked')
    expect(verify(grandchild, list)).toBe('token_revoked')
    expect(verify(parent, list)).toBe('ok')
    expect(verify(sibling, list, { org: 'acme', op: 'write', app: 'web' })).toBe('ok')
    expect(verify(r.token, list, {} as typeof req)).toBe('ok')
  })

  it('revoking the token id kills the root and everything derived', () => {
    const list = new RevocationList([{ tokenId: r.tokenId, expiresAt: new Date(FUTURE) }])
    for (const t of [r.token, parent, child, grandchild, sibling])
      expect(verify(t, list)).toBe('token_revoked')
  })

  it('prunes entries once the root would have expired anyway', () => {
    const list = new RevocationList([
      { tokenId: 'tok_aaaaaaaaaaaaaaaaaaaaaa', expiresAt: new Date('2020-01-01') },
      { tokenId: 'tok_bbbbbbbbbbbbbbbbbbbbbb', revocationId: 'x', expiresAt: new Date('2020-01-01') },
      { tokenId: r.tokenId, expiresAt: new Date(FUTURE) },
    ])
    expect(list.size).toBe(3)
    expect(list.prune(new Date('2026-01-01'))).toBe(2)
    expect(list.size).toBe(1)
    expect(list.isTokenRevoked(r.tokenId)).toBe(true)
  })
})

describe('attenuate and inspect', () => {
  it('attenuate refuses caveats that would not parse', () => {
    expect(codeOf(() => attenuate(root.token, ['ops = '] as string[]))).toBe('validation_failed')
    expect(codeOf(() => attenuate(root.token, ['colour = red']))).toBe('validation_failed')
  })

  it('inspect reads identifier fields and the effective scope without a key', () => {
    const t = attenuate(root.token, [
      'org = acme,beta',
      'org = acme',
      'ops = read',
      'expires = 2030-01-01T00:00:00Z',
    ])
    const info = inspectToken(t, { now: new Date('2026-11-22T00:00:00Z') })
    expect(info.identifier).toMatchObject({ kid: ring.primary, tokenId: root.tokenId, userId: 'usr_alice' })
    expect(info.scope.orgs).toEqual(['acme'])
    expect(info.scope.ops).toEqual(['read'])
    expect(info.scope.expiresAt?.toISOString()).toBe('2030-01-01T00:00:00.000Z')
    expect(info.expired).toBe(false)
    expect(info.hint).toBe(`crumb_…${t.slice(-4)}`) // #18 item 3: the tail of the token as held
    expect(info.caveats).toHaveLength(5)
    expect(inspectToken(t, { now: new Date('2031-01-01T00:00:00Z') }).expired).toBe(true)
  })

  it('inspect accepts a foreign macaroon', () => {
    const m = Macaroon.mint({
      rootKey: 'k',
      identifier: 'foreign',
      location: 'https://x',
    }).addFirstPartyCaveat('a = b')
    const info = inspectToken(Buffer.from(m.encode('v1')).toString('base64'))
    expect(info.identifier).toBeUndefined()
    expect(info.identifierText).toBe('foreign')
    expect(info.caveats[0]).toMatchObject({ text: 'a = b', valid: false })
  })
})
