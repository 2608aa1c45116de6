import type { Request } from 'express'
import { describe, expect, it } from 'vitest'
import type { TokenClaims } from '../../src/token/claims.js'
import { attachClaims, verifiedClaims } from '../../src/verifier/claims.js'
import { MEMO_MAX_ENTRY_BYTES, type MemoEntry, shareable, TokenMemo } from '../../src/verifier/memo.js'

const claims = (tokenId: string): TokenClaims => ({
  userId: 'usr_1',
  tokenId,
  kid: 'k1',
  device: 'laptop',
  ops: ['read'],
  orgs: ['acme'],
  apps: null,
  devices: null,
  expiresAt: null,
  notBefore: null,
  caveats: ['ops = read', 'org = acme'],
  revocationId: 'rev',
})
const entry = (tokenId: string): MemoEntry => ({ tokenId, claims: shareable(claims(tokenId)), checks: [] })

describe('TokenMemo', () => {
  it('is bounded (oldest first out) and drops every entry of a revoked token id', () => {
    const memo = new TokenMemo<MemoEntry>(3)
    memo.set('a1', entry('tok_a'))
    memo.set('a2', entry('tok_a'))
    memo.set('b1', entry('tok_b'))
    memo.set('c1', entry('tok_c'))
    expect(memo.size).toBe(3)
    expect(memo.get('a1')).toBeUndefined()
    memo.onFeed({ replaced: false, tokenIds: ['tok_a'] })
    expect([memo.get('a2'), memo.size]).toEqual([undefined, 2])
    memo.onFeed({ replaced: true, tokenIds: [] })
    expect(memo.size).toBe(0)
  })

  // #15 item 2: what distinct tokens make a verifier hold is bounded in bytes, whatever they carry.
  it('is bounded in bytes: large entries are never kept, and the total stays within its budget', () => {
    const memo = new TokenMemo<MemoEntry>(10_000, 64 * 1024)
    memo.set('big', entry('tok_big'), MEMO_MAX_ENTRY_BYTES)
    expect([memo.get('big'), memo.size, memo.bytes]).toEqual([undefined, 0, 0])
    for (let i = 0; i < 1_000; i++) memo.set(`k${i}`, entry(`tok_${i}`), 2_000)
    expect(memo.bytes).toBeLessThanOrEqual(64 * 1024)
    expect(memo.size).toBeGreaterThan(10)
    expect(memo.get('k999')).toBeDefined()
    expect(memo.get('k0')).toBeUndefined()
    // An entry evicted for room leaves the token-id index too: revoking it later finds nothing.
    memo.onFeed({ replaced: false, tokenIds: ['tok_0', 'tok_999'] })
    expect(memo.get('k999')).toBeUndefined()
  })

  it('keeps nothing when max is 0', () => {
    const memo = new TokenMemo<MemoEntry>(0)
    memo.set('a', entry('tok_a'))
    expect(memo.size).toBe(0)
  })
})

describe('shared claims', () => {
  it('are frozen, without a device, and req.crumb built from them cannot be altered', () => {
    const shared = shareable(claims('tok_a'))
    expect(shared.device).toBeUndefined()
    expect(Object.isFrozen(shared) && Object.isFrozen(shared.ops) && Object.isFrozen(shared.caveats)).toBe(
      true,
    )
    const req1 = {} as Request
    const req2 = {} as Request
    const auth = attachClaims(req1, shared)
    expect(attachClaims(req2, shared)).toBe(auth)
    expect(() => {
      ;(auth.ops as string[]).push('write')
    }).toThrow(TypeError)
    expect(() => {
      ;(auth as { userId: string }).userId = 'usr_evil'
    }).toThrow(TypeError)
    expect(verifiedClaims(req2)).toBe(shared)
  })

  it('per-request claims get their own req.crumb', () => {
    const fresh = claims('tok_a')
    const a = attachClaims({} as Request, fresh)
    const b = attachClaims({} as Request, fresh)
    expect(a).not.toBe(b)
    expect(a.device).toBe('laptop')
  })
})
