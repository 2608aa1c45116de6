/**
 * Unit tests for the macaroon core: resource limits, discharge accounting and binding,
 * immutability, V1 JSON's UTF-8 rule and the constant-time signature compare.
 */
import { Buffer } from 'node:buffer'
import { timingSafeEqual } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { CrumbError } from '../../src/errors.js'
import { toBase64Url } from '../../src/macaroon/bytes.js'
import { bindSignature, constantTimeEqual } from '../../src/macaroon/crypto.js'
import type { Caveat, MacaroonData } from '../../src/macaroon/index.js'
import { LIMITS, Macaroon } from '../../src/macaroon/index.js'
import { encodeV1 } from '../../src/macaroon/v1-binary.js'
import { encodeV2 } from '../../src/macaroon/v2-binary.js'
import { hex } from '../helpers/macaroon-view.js'

// Spy on the one constant-time compare; everything else in node:crypto stays real.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) }
})

const ROOT_KEY = 'root key of the first party'
const always = (): boolean => true

function crumbError(fn: () => unknown): CrumbError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(CrumbError)
    expect((e as CrumbError).code).toBe('invalid_token')
    return e as CrumbError
  }
  throw new Error('expected a CrumbError, nothing was thrown')
}

/** A primary with one third-party caveat, and the unbound discharge for it. */
function withThirdParty(caveatId = 'is-admin'): { primary: Macaroon; discharge: Macaroon } {
  const caveatKey = `caveat key for ${caveatId}`
  const primary = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'primary', location: 'https://api.example' })
    .addFirstPartyCaveat('org = acme')
    .addThirdPartyCaveat({ rootKey: caveatKey, identifier: caveatId, location: 'https://auth.example' })
  const discharge = Macaroon.mint({ rootKey: caveatKey, identifier: caveatId }).addFirstPartyCaveat(
    'user = ann',
  )
  return { primary, discharge }
}

/** A primary whose discharges nest `depth` deep: d1 needs d2, …, each bound to the primary. */
function nestedChain(depth: number): { primary: Macaroon; discharges: Macaroon[] } {
  const keyOf = (level: number): string => `key of level ${level}`
  const idOf = (level: number): string => `discharge level ${level}`
  const primary = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'nested' }).addThirdPartyCaveat({
    rootKey: keyOf(1),
    identifier: idOf(1),
  })
  const unbound: Macaroon[] = []
  for (let level = 1; level <= depth; level++) {
    let d = Macaroon.mint({ rootKey: keyOf(level), identifier: idOf(level) })
    if (level < depth) d = d.addThirdPartyCaveat({ rootKey: keyOf(level + 1), identifier: idOf(level + 1) })
    unbound.push(d)
  }
  return { primary, discharges: unbound.map((d) => d.bindTo(primary)) }
}

function dataWithCaveats(n: number): MacaroonData {
  const caveats: Caveat[] = Array.from({ length: n }, () => ({ identifier: Uint8Array.of(0x78) }))
  return { identifier: Uint8Array.of(0x69), caveats, signature: new Uint8Array(32), version: 2 }
}

describe('limits (refused with a CrumbError before any crypto)', () => {
  it('refuses tokens over 64 KiB, as bytes and as text, and accepts one of exactly 64 KiB', () => {
    const base = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'big' })
    const overhead = base.addFirstPartyCaveat('').encode('v2').byteLength
    // A V2 field length of ≥ 16384 takes a 3-byte varint instead of 1: two more bytes.
    const fits = base.addFirstPartyCaveat('x'.repeat(LIMITS.maxTokenBytes - overhead - 2))
    expect(fits.encode('v2').byteLength).toBe(LIMITS.maxTokenBytes)
    expect(hex(Macaroon.decode(fits.encode('v2')).signature)).toBe(hex(fits.signature))

    const tooBig = base.addFirstPartyCaveat('x'.repeat(LIMITS.maxTokenBytes - overhead - 1))
    expect(tooBig.encode('v2').byteLength).toBe(LIMITS.maxTokenBytes + 1)
    crumbError(() => Macaroon.decode(tooBig.encode('v2')))
    crumbError(() => Macaroon.decode(toBase64Url(tooBig.encode('v2'))))
    crumbError(() => Macaroon.decode(tooBig.encode('json')))

    // Text is measured as given: a valid token text plus padding past the limit is refused.
    const text = toBase64Url(base.addFirstPartyCaveat('y'.repeat(40_000)).encode('v2'))
    expect(text.length).toBeLessThanOrEqual(LIMITS.maxTokenBytes)
    Macaroon.decode(text)
    crumbError(() => Macaroon.decode(text + '\n'.repeat(LIMITS.maxTokenBytes + 1 - text.length)))
  })

  it('refuses more than 1,024 caveats when adding, and when decoding V2, V1 and JSON', () => {
    let m = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'many' })
    for (let i = 0; i < LIMITS.maxCaveats; i++) m = m.addFirstPartyCaveat('x')
    expect(m.caveats).toHaveLength(1024)
    m.verify(ROOT_KEY, always)
    expect(Macaroon.decode(m.encode('v2')).caveats).toHaveLength(1024)
    crumbError(() => m.addFirstPartyCaveat('one too many'))
    crumbError(() => m.addThirdPartyCaveat({ rootKey: 'k', identifier: 'one too many' }))

    const over = dataWithCaveats(LIMITS.maxCaveats + 1)
    crumbError(() => Macaroon.decode(encodeV2(over)))
    crumbError(() => Macaroon.decode(encodeV1(over)))
    crumbError(() => Macaroon.decode(Macaroon.fromData(over).encode('json')))
    crumbError(() => Macaroon.decode(Macaroon.fromData(over).toJSON()))
    crumbError(() => Macaroon.decode(Macaroon.fromData(over).encode('json-v1')))
  })

  it('refuses more than 1,024 caveats across a macaroon and its discharges, before checking any', () => {
    const { primary, discharge } = withThirdParty()
    // Each macaroon alone is within the limit; together they are one over.
    let big = discharge
    while (primary.caveats.length + big.caveats.length <= LIMITS.maxCaveats)
      big = big.addFirstPartyCaveat('x')
    expect(big.caveats.length).toBeLessThan(LIMITS.maxCaveats)
    const check = vi.fn(always)
    const observe = vi.fn()
    crumbError(() => primary.verify(ROOT_KEY, check, [big.bindTo(primary)], observe))
    expect(check).not.toHaveBeenCalled()
    expect(observe).not.toHaveBeenCalled()
    // Under the limit, the same shape verifies.
    let fine = discharge
    while (primary.caveats.length + fine.caveats.length < LIMITS.maxCaveats)
      fine = fine.addFirstPartyCaveat('x')
    primary.verify(ROOT_KEY, always, [fine.bindTo(primary)])
  })

  it('refuses more than 64 macaroons in one request, before checking any caveat', () => {
    const { primary, discharge } = withThirdParty()
    const bound = discharge.bindTo(primary)
    const check = vi.fn(always)
    crumbError(() =>
      primary.verify(
        ROOT_KEY,
        check,
        Array.from({ length: LIMITS.maxMacaroons }, () => bound),
      ),
    )
    expect(check).not.toHaveBeenCalled()
  })

  it('accepts discharges nested 8 deep and refuses 9', () => {
    const ok = nestedChain(LIMITS.maxDischargeDepth)
    ok.primary.verify(ROOT_KEY, always, ok.discharges)
    const deep = nestedChain(LIMITS.maxDischargeDepth + 1)
    crumbError(() => deep.primary.verify(ROOT_KEY, always, deep.discharges))
    // Same refusal whichever order the discharges arrive in.
    crumbError(() => deep.primary.verify(ROOT_KEY, always, [...deep.discharges].reverse()))
  })

  it('a discharge that needs itself (a cycle) is refused cleanly', () => {
    const primary = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'p' }).addThirdPartyCaveat({
      rootKey: 'k',
      identifier: 'loop',
    })
    const loop = Macaroon.mint({ rootKey: 'k', identifier: 'loop' })
      .addThirdPartyCaveat({ rootKey: 'k', identifier: 'loop' })
      .bindTo(primary)
    crumbError(() => primary.verify(ROOT_KEY, always, [loop]))
    crumbError(() =>
      primary.verify(
        ROOT_KEY,
        always,
        Array.from({ length: 20 }, () => loop),
      ),
    )
  })
})

describe('discharges', () => {
  it('a bound discharge verifies; its first-party caveats are checked too', () => {
    const { primary, discharge } = withThirdParty()
    const bound = discharge.bindTo(primary)
    const seen: string[] = []
    primary.verify(ROOT_KEY, (p) => seen.push(p) > 0, [bound])
    expect(seen.sort()).toEqual(['org = acme', 'user = ann'])
    const e = crumbError(() => primary.verify(ROOT_KEY, (p) => p !== 'user = ann', [bound]))
    expect(e.code).toBe('invalid_token')
  })

  it('each discharge is used exactly once: a duplicated or an unused extra discharge fails', () => {
    const { primary, discharge } = withThirdParty()
    const bound = discharge.bindTo(primary)
    crumbError(() => primary.verify(ROOT_KEY, always, [bound, bound]))
    const extra = Macaroon.mint({ rootKey: 'other', identifier: 'unrelated' }).bindTo(primary)
    crumbError(() => primary.verify(ROOT_KEY, always, [bound, extra]))
    crumbError(() => primary.verify(ROOT_KEY, always, [extra, bound]))
    // A discharge given to a macaroon without third-party caveats is unused too.
    const plain = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'plain' })
    crumbError(() => plain.verify(ROOT_KEY, always, [extra.bindTo(plain)]))
  })

  it('two caveats with the same id need two discharges', () => {
    const primary = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'p' })
      .addThirdPartyCaveat({ rootKey: 'k', identifier: 'same' })
      .addThirdPartyCaveat({ rootKey: 'k', identifier: 'same' })
    const d = Macaroon.mint({ rootKey: 'k', identifier: 'same' }).bindTo(primary)
    crumbError(() => primary.verify(ROOT_KEY, always, [d]))
    primary.verify(ROOT_KEY, always, [d, d])
  })

  it('a missing discharge fails', () => {
    const { primary } = withThirdParty()
    crumbError(() => primary.verify(ROOT_KEY, always))
  })

  it('an unbound discharge fails', () => {
    const { primary, discharge } = withThirdParty()
    crumbError(() => primary.verify(ROOT_KEY, always, [discharge]))
  })

  it('a discharge bound to another primary fails, also after the primary is attenuated', () => {
    const { primary, discharge } = withThirdParty()
    const other = withThirdParty().primary.addFirstPartyCaveat('ops = read')
    crumbError(() => primary.verify(ROOT_KEY, always, [discharge.bindTo(other)]))
    // Attenuating the primary changes its signature: the discharge must be bound again.
    const narrowed = primary.addFirstPartyCaveat('ops = read')
    crumbError(() => narrowed.verify(ROOT_KEY, always, [discharge.bindTo(primary)]))
    narrowed.verify(ROOT_KEY, always, [discharge.bindTo(narrowed)])
  })

  it('a discharge minted with the wrong caveat key fails', () => {
    const { primary } = withThirdParty('is-admin')
    const forged = Macaroon.mint({ rootKey: 'guessed key', identifier: 'is-admin' }).bindTo(primary)
    crumbError(() => primary.verify(ROOT_KEY, always, [forged]))
  })

  it('binding a signature to itself leaves it unchanged (go-macaroon rule)', () => {
    const sig = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'x' }).signature
    expect(hex(bindSignature(sig, sig))).toBe(hex(sig))
  })
})

describe('verification failures are CrumbErrors', () => {
  it('wrong root key, unsatisfied caveat, altered signature', () => {
    const m = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'id' }).addFirstPartyCaveat('org = acme')
    m.verify(ROOT_KEY, (p) => p === 'org = acme')
    crumbError(() => m.verify('another key', always))
    crumbError(() => m.verify(ROOT_KEY, () => false))
    const sig = new Uint8Array(m.signature)
    sig[0] = sig[0]! ^ 1
    crumbError(() => Macaroon.fromData({ ...m.data, signature: sig }).verify(ROOT_KEY, always))
  })

  it('a missing checker is refused, never read as "accept every caveat"', () => {
    const m = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'id' }).addFirstPartyCaveat('org = acme')
    const unchecked = m as unknown as { verify(rootKey: string, check?: unknown): void }
    expect(() => unchecked.verify(ROOT_KEY)).toThrow(TypeError)
    expect(() => unchecked.verify(ROOT_KEY, undefined)).toThrow(TypeError)
    expect(() => unchecked.verify(ROOT_KEY, 'org = acme')).toThrow(TypeError)
  })

  it('the checker gets the caveat text, and the raw bytes ("" text when they are not UTF-8)', () => {
    const binary = Uint8Array.of(0xff, 0xfe, 0x00)
    const m = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'id' })
      .addFirstPartyCaveat('a')
      .addFirstPartyCaveat(binary)
    const calls: Array<[string, string]> = []
    m.verify(ROOT_KEY, (p, b) => calls.push([p, hex(b)]) > 0)
    expect(calls).toEqual([
      ['a', '61'],
      ['', 'fffe00'],
    ])
  })
})

describe('immutability', () => {
  it('adding a caveat or binding returns a new macaroon and leaves the original alone', () => {
    const m = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'id', location: 'https://api.example' })
    const before = { sig: hex(m.signature), caveats: m.caveats.length }
    const m2 = m.addFirstPartyCaveat('org = acme')
    const m3 = m2.addThirdPartyCaveat({ rootKey: 'k', identifier: 'tp' })
    expect(m2).not.toBe(m)
    expect({ sig: hex(m.signature), caveats: m.caveats.length }).toEqual(before)
    expect(m2.caveats).toHaveLength(1)
    expect(m3.caveats).toHaveLength(2)
    m.verify(ROOT_KEY, always)
    m2.verify(ROOT_KEY, (p) => p === 'org = acme')

    const d = Macaroon.mint({ rootKey: 'k', identifier: 'tp' })
    const dSig = hex(d.signature)
    const bound = d.bindTo(m3)
    expect(hex(d.signature)).toBe(dSig)
    expect(hex(bound.signature)).not.toBe(dSig)
    expect(hex(m3.signature)).toBe(hex(m3.signature))
  })

  it('addFirstPartyCaveats equals adding one by one, leaves the original alone, and keeps the limit', () => {
    const base = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'id' }).addFirstPartyCaveat('first')
    const predicates = ['org = acme', Uint8Array.of(0xff, 0x00), '']
    const batch = base.addFirstPartyCaveats(predicates)
    const oneByOne = predicates.reduce((m: Macaroon, p) => m.addFirstPartyCaveat(p), base)
    expect(hex(batch.signature)).toBe(hex(oneByOne.signature))
    expect(hex(batch.encode('v2'))).toBe(hex(oneByOne.encode('v2')))
    expect(base.caveats).toHaveLength(1)
    expect(hex(base.addFirstPartyCaveats([]).signature)).toBe(hex(base.signature))
    batch.verify(ROOT_KEY, always)

    const full = base.addFirstPartyCaveats(Array.from({ length: LIMITS.maxCaveats - 1 }, () => 'x'))
    expect(full.caveats).toHaveLength(LIMITS.maxCaveats)
    crumbError(() => base.addFirstPartyCaveats(Array.from({ length: LIMITS.maxCaveats }, () => 'x')))
  })

  it('branches from one macaroon are independent', () => {
    const base = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'id' })
    const a = base.addFirstPartyCaveat('a')
    const b = base.addFirstPartyCaveat('b')
    expect(a.caveats.map((c) => Buffer.from(c.identifier).toString())).toEqual(['a'])
    expect(b.caveats.map((c) => Buffer.from(c.identifier).toString())).toEqual(['b'])
    expect(base.caveats).toHaveLength(0)
  })

  it("does not alias the caller's buffers: reusing them after mint or decode changes nothing", () => {
    const identifier = new TextEncoder().encode('identifier')
    const caveat = new TextEncoder().encode('org = acme')
    const m = Macaroon.mint({ rootKey: ROOT_KEY, identifier }).addFirstPartyCaveat(caveat)
    identifier.fill(0)
    caveat.fill(0)
    expect(m.identifierText).toBe('identifier')
    m.verify(ROOT_KEY, (p) => p === 'org = acme')

    // A pooled read buffer reused after decoding (e.g. a socket's).
    const wire = Buffer.from(m.encode('v2'))
    const decoded = Macaroon.decode(wire)
    const sig = hex(decoded.signature)
    wire.fill(0x41)
    expect(hex(decoded.signature)).toBe(sig)
    expect(decoded.identifierText).toBe('identifier')
    decoded.verify(ROOT_KEY, (p) => p === 'org = acme')
  })
})

describe('V1 JSON', () => {
  it('needs a UTF-8 identifier and UTF-8 caveat ids (V2 JSON and binary carry any bytes)', () => {
    const binaryId = Macaroon.mint({ rootKey: ROOT_KEY, identifier: Uint8Array.of(0x00, 0xff, 0x80) })
    crumbError(() => binaryId.encode('json-v1'))
    crumbError(() => binaryId.toJSONV1())
    expect(binaryId.toJSON().i64).toBe('AP-A')
    expect(hex(Macaroon.decode(binaryId.encode('json')).identifier)).toBe('00ff80')
    expect(hex(Macaroon.decode(binaryId.encode('v1')).identifier)).toBe('00ff80')

    const binaryCaveat = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'text' }).addFirstPartyCaveat(
      Uint8Array.of(0xc3),
    )
    crumbError(() => binaryCaveat.encode('json-v1'))
    expect(Macaroon.decode(binaryCaveat.encode('json')).caveats[0]?.identifier).toEqual(Uint8Array.of(0xc3))
  })

  it('omits "caveats" when there are none, as js-macaroon does (vector js-macaroon/created_with_expected_signature)', () => {
    const m = Macaroon.mint({ rootKey: 'secret', identifier: 'some id', location: 'a location', version: 1 })
    expect(JSON.parse(m.encode('json-v1'))).toEqual({
      location: 'a location',
      identifier: 'some id',
      signature: 'd916ce6f9b62dc4a080ce5d4a660956471f19b860da4242b0852727331c1033d',
    })
    expect(Object.keys(m.addFirstPartyCaveat('c').toJSONV1())).toContain('caveats')
  })
})

describe('constant-time signature compare', () => {
  it('verify compares the final signature with timingSafeEqual', () => {
    const m = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'id' }).addFirstPartyCaveat('a')
    const spy = vi.mocked(timingSafeEqual)
    spy.mockClear()
    m.verify(ROOT_KEY, always)
    const compared = spy.mock.calls.map(([a, b]) => [hex(a as Uint8Array), hex(b as Uint8Array)])
    expect(compared).toContainEqual([hex(m.signature), hex(m.signature)])
    spy.mockClear()
    crumbError(() => m.verify('wrong key', always))
    expect(spy).toHaveBeenCalled()
  })

  it('a signature of the wrong length fails cleanly (CrumbError, no RangeError)', () => {
    const m = Macaroon.mint({ rootKey: ROOT_KEY, identifier: 'id' })
    for (const length of [0, 1, 31, 33, 64]) {
      const forged = Macaroon.fromData({ ...m.data, signature: new Uint8Array(length) })
      crumbError(() => forged.verify(ROOT_KEY, always))
      crumbError(() => Macaroon.decode(encodeV2(forged.data)))
      crumbError(() => Macaroon.decode(encodeV1(forged.data)))
      crumbError(() => Macaroon.decode(forged.encode('json')))
    }
    expect(constantTimeEqual(new Uint8Array(32), new Uint8Array(31))).toBe(false)
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true)
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false)
  })
})

// Regression (fast-check seed 957095861): a caveat id starting with a UTF-8 BOM (EF BB BF) lost
// its BOM on the way through V1 JSON, because TextDecoder strips it by default.
describe('a leading U+FEFF survives every encoding', () => {
  it('round-trips a BOM-prefixed caveat and identifier through V1 JSON, V2 JSON and binary', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf])
    const m = Macaroon.mint({ rootKey: 'k', identifier: bom }).addFirstPartyCaveat(bom)
    for (const format of ['json-v1', 'json'] as const) {
      const back = Macaroon.decode(m.encode(format))
      expect(Buffer.from(back.identifier).toString('hex')).toBe('efbbbf')
      expect(Buffer.from(back.caveats[0]!.identifier).toString('hex')).toBe('efbbbf')
      expect(Buffer.from(back.signature).equals(Buffer.from(m.signature))).toBe(true)
    }
    expect(() => m.verify('k', (p) => p === '\uFEFF')).not.toThrow()
  })
})
