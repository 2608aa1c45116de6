/**
 * Property tests for the macaroon core: decode∘encode is identity in every format, any mutated
 * byte is rejected, hostile input only ever gets a CrumbError, and quickly.
 */
import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CrumbError } from '../../src/errors.js'
import { utf8OrUndefined } from '../../src/macaroon/bytes.js'
import type { Caveat, MacaroonData, MacaroonFormat } from '../../src/macaroon/index.js'
import { LIMITS, Macaroon } from '../../src/macaroon/index.js'
import { hex, macaroonView } from '../helpers/macaroon-view.js'

const RUNS = 1000

/** Runs fn; it may return, or throw a CrumbError (invalid_token) — nothing else. */
function onlyCrumbErrors(fn: () => unknown): boolean {
  try {
    fn()
    return true
  } catch (e) {
    if (!(e instanceof CrumbError))
      throw new Error(`threw ${String(e)} instead of a CrumbError`, { cause: e })
    expect(e.code).toBe('invalid_token')
    return false
  }
}

function throwsCrumb(fn: () => unknown): boolean {
  return !onlyCrumbErrors(fn)
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const text = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength })
const utf8Bytes = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  text(maxLength).map((s) => new TextEncoder().encode(s))
const anyBytes = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(fc.uint8Array({ maxLength }), utf8Bytes(maxLength))
/** Decoders read an empty location as "no location", so generate absent or non-empty. */
const optLocation = fc.option(
  text(20).filter((s) => s !== ''),
  { nil: undefined },
)

function caveatArb(bytes: (n: number) => fc.Arbitrary<Uint8Array>): fc.Arbitrary<Caveat> {
  return fc
    .record({
      identifier: bytes(40),
      verificationId: fc.option(fc.uint8Array({ minLength: 1, maxLength: 80 }), { nil: undefined }),
      location: optLocation,
    })
    .map(
      ({ identifier, verificationId, location }): Caveat => ({
        identifier,
        ...(verificationId ? { verificationId } : {}),
        ...(location ? { location } : {}),
      }),
    )
}

/** Arbitrary macaroon data (any bytes; signatures need not verify). */
function dataArb(bytes: (n: number) => fc.Arbitrary<Uint8Array>): fc.Arbitrary<MacaroonData> {
  return fc
    .record({
      identifier: bytes(40),
      location: optLocation,
      caveats: fc.array(caveatArb(bytes), { maxLength: 6 }),
      signature: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      version: fc.constantFrom<1 | 2>(1, 2),
    })
    .map(({ location, ...rest }): MacaroonData => ({ ...rest, ...(location ? { location } : {}) }))
}

const anyMacaroon = dataArb(anyBytes).map((d) => Macaroon.fromData(d))
const utf8Macaroon = dataArb(utf8Bytes).map((d) => Macaroon.fromData(d))

/** The base64 spellings other libraries emit. */
function base64Variants(bytes: Uint8Array): string[] {
  const std = Buffer.from(bytes).toString('base64')
  const url = Buffer.from(bytes).toString('base64url')
  return [
    std,
    std.replace(/=+$/, ''),
    url,
    url + '='.repeat((4 - (url.length % 4)) % 4),
    std.replace(/.{76}/g, '$&\n'),
  ]
}

/** A real macaroon with first- and third-party caveats and its bound discharges. */
interface RealSet {
  rootKey: Uint8Array
  primary: Macaroon
  discharges: Macaroon[]
  unbound: Macaroon[]
  predicates: string[]
}

const realSetArb: fc.Arbitrary<RealSet> = fc
  .record({
    rootKey: fc.uint8Array({ minLength: 1, maxLength: 32 }),
    id: anyBytes(24),
    location: fc.option(text(12), { nil: undefined }),
    caveats: fc.array(
      fc.oneof(
        { weight: 3, arbitrary: text(20).map((p) => ({ p })) },
        {
          weight: 1,
          arbitrary: fc.record({
            key: fc.uint8Array({ minLength: 1, maxLength: 32 }),
            location: text(12),
            dischargePredicates: fc.array(text(16), { maxLength: 2 }),
          }),
        },
      ),
      { maxLength: 4 },
    ),
  })
  .map(({ rootKey, id, location, caveats }) => {
    let primary = Macaroon.mint({ rootKey, identifier: id, ...(location ? { location } : {}) })
    const unbound: Macaroon[] = []
    const predicates: string[] = []
    caveats.forEach((c, i) => {
      if ('p' in c) {
        primary = primary.addFirstPartyCaveat(c.p)
        predicates.push(c.p)
        return
      }
      const identifier = `third-party ${i}`
      primary = primary.addThirdPartyCaveat({ rootKey: c.key, identifier, location: c.location })
      let d = Macaroon.mint({ rootKey: c.key, identifier, location: c.location })
      for (const p of c.dischargePredicates) {
        d = d.addFirstPartyCaveat(p)
        predicates.push(p)
      }
      unbound.push(d)
    })
    return { rootKey, primary, discharges: unbound.map((d) => d.bindTo(primary)), unbound, predicates }
  })

// ---------------------------------------------------------------------------------------------

describe('decode∘encode is identity', () => {
  it.each([
    ['v2', 2],
    ['v1', 1],
  ] as const)('%s binary, raw and in every base64 spelling (any bytes)', (format, version) => {
    fc.assert(
      fc.property(anyMacaroon, (m) => {
        const bytes = m.encode(format)
        const back = Macaroon.decode(bytes)
        expect(macaroonView(back)).toEqual(macaroonView(m))
        expect(back.version).toBe(version)
        expect(hex(back.encode(format))).toBe(hex(bytes))
        for (const b64 of base64Variants(bytes))
          expect(macaroonView(Macaroon.decode(b64))).toEqual(macaroonView(m))
      }),
      { numRuns: RUNS },
    )
  })

  it('V2 JSON, as text and as a parsed object (any bytes: i64/v64 where not UTF-8)', () => {
    fc.assert(
      fc.property(anyMacaroon, (m) => {
        const json = m.encode('json')
        expect(macaroonView(Macaroon.decode(json))).toEqual(macaroonView(m))
        expect(macaroonView(Macaroon.decode(JSON.parse(json) as object))).toEqual(macaroonView(m))
        expect(macaroonView(Macaroon.decode(m.toJSON()))).toEqual(macaroonView(m))
        expect(Macaroon.decode(json).encode('json')).toBe(json)
        // Go may wrap base64 V2 binary in a JSON string.
        expect(
          macaroonView(Macaroon.decode(JSON.stringify(Buffer.from(m.encode('v2')).toString('base64')))),
        ).toEqual(macaroonView(m))
      }),
      { numRuns: RUNS },
    )
  })

  it('V1 JSON when identifier and caveat ids are UTF-8; refused (CrumbError) when they are not', () => {
    fc.assert(
      fc.property(fc.oneof(utf8Macaroon, anyMacaroon), (m) => {
        const isText =
          utf8OrUndefined(m.identifier) !== undefined &&
          m.caveats.every((c) => utf8OrUndefined(c.identifier) !== undefined)
        if (!isText) {
          expect(throwsCrumb(() => m.encode('json-v1'))).toBe(true)
          return
        }
        const json = m.encode('json-v1')
        const back = Macaroon.decode(json)
        expect(macaroonView(back)).toEqual(macaroonView(m))
        expect(back.version).toBe(1)
        expect(macaroonView(Macaroon.decode(JSON.parse(json) as object))).toEqual(macaroonView(m))
        expect(back.encode('json-v1')).toBe(json)
      }),
      { numRuns: RUNS },
    )
  })

  it('converting between all formats never changes a real macaroon and it keeps verifying', () => {
    fc.assert(
      fc.property(
        realSetArb,
        fc.array(fc.constantFrom<MacaroonFormat>('v2', 'v1', 'json', 'json-v1')),
        (s, path) => {
          let m = s.primary
          const text = m.identifierText !== undefined
          for (const format of path) if (text || format !== 'json-v1') m = Macaroon.decode(m.encode(format))
          expect(macaroonView(m)).toEqual(macaroonView(s.primary))
          m.verify(s.rootKey, (p) => s.predicates.includes(p), s.discharges)
        },
      ),
      { numRuns: RUNS },
    )
  })
})

describe('mutations are rejected', () => {
  /** The only fields outside the HMAC chain are locations; everything else must match. */
  function onlyLocationsDiffer(a: Macaroon, b: Macaroon): boolean {
    const strip = (m: Macaroon): unknown => {
      const v = macaroonView(m) as { caveats: Array<{ location?: string }>; location?: string }
      return { ...v, location: undefined, caveats: v.caveats.map((c) => ({ ...c, location: undefined })) }
    }
    return JSON.stringify(strip(a)) === JSON.stringify(strip(b))
  }

  function mutatedIsRejected(s: RealSet, target: number, mutate: (bytes: Uint8Array) => void): void {
    const all = [s.primary, ...s.discharges]
    const i = target % all.length
    const original = all[i]!
    const bytes = new Uint8Array(original.encode('v2'))
    mutate(bytes)
    let decoded: Macaroon
    try {
      decoded = Macaroon.decode(bytes)
    } catch (e) {
      expect(e).toBeInstanceOf(CrumbError)
      return
    }
    all[i] = decoded
    const [primary, ...discharges] = all as [Macaroon, ...Macaroon[]]
    const passed = onlyCrumbErrors(() =>
      primary.verify(s.rootKey, (p) => s.predicates.includes(p), discharges),
    )
    // Passing is only possible when the mutation hit a location, which no signature covers.
    if (passed) expect(onlyLocationsDiffer(decoded, original)).toBe(true)
  }

  it('flipping any single bit of a valid V2 binary token (primary or discharge)', () => {
    fc.assert(
      fc.property(realSetArb, fc.nat(), fc.nat(), fc.nat({ max: 7 }), (s, target, at, bit) => {
        mutatedIsRejected(s, target, (bytes) => {
          const p = at % bytes.byteLength
          bytes[p] = bytes[p]! ^ (1 << bit)
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('replacing any single byte of a valid V2 binary token with another value', () => {
    fc.assert(
      fc.property(
        realSetArb,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (s, target, at, delta) => {
          mutatedIsRejected(s, target, (bytes) => {
            const p = at % bytes.byteLength
            bytes[p] = (bytes[p]! + delta) & 0xff
          })
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('a mutation outside the locations is always refused: tokens without locations never pass', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1 }),
        fc.array(text(20), { maxLength: 4 }),
        fc.nat(),
        (key, ps, at) => {
          let m = Macaroon.mint({ rootKey: key, identifier: 'id' })
          for (const p of ps) m = m.addFirstPartyCaveat(p)
          const bytes = new Uint8Array(m.encode('v2'))
          const p = at % bytes.byteLength
          bytes[p] = bytes[p]! ^ 0x01
          expect(throwsCrumb(() => Macaroon.decode(bytes).verify(key, () => true))).toBe(true)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('adding a caveat never widens: the new caveat is checked, and refusing it refuses the token', () => {
    fc.assert(
      fc.property(realSetArb, text(20), (s, extra) => {
        fc.pre(!s.predicates.includes(extra))
        const narrowed = s.primary.addFirstPartyCaveat(extra)
        const discharges = s.unbound.map((d) => d.bindTo(narrowed))
        expect(
          throwsCrumb(() => narrowed.verify(s.rootKey, (p) => s.predicates.includes(p), discharges)),
        ).toBe(true)
        narrowed.verify(s.rootKey, (p) => p === extra || s.predicates.includes(p), discharges)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('hostile input only ever gets a CrumbError, quickly', () => {
  /** Decodes, and if that works, verifies (with and without the decoded value as a discharge). */
  function decodeAndVerify(input: unknown, key: Uint8Array): void {
    let m: Macaroon | undefined
    onlyCrumbErrors(() => {
      m = Macaroon.decode(input as object)
    })
    if (m === undefined) return
    const decoded = m
    onlyCrumbErrors(() => decoded.verify(key, () => true))
    onlyCrumbErrors(() => decoded.verify(key, () => false, [decoded]))
    onlyCrumbErrors(() => decoded.encode('v2'))
    onlyCrumbErrors(() => decoded.encode('v1'))
    onlyCrumbErrors(() => decoded.encode('json'))
    onlyCrumbErrors(() => decoded.encode('json-v1'))
  }

  const key = fc.uint8Array({ maxLength: 32 })
  let slowest = 0
  const timed = (f: () => void): void => {
    const start = performance.now()
    f()
    slowest = Math.max(slowest, performance.now() - start)
  }

  it('random bytes (and bytes after a V2 or V1 header)', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => Uint8Array.of(2, ...b)),
      fc
        .uint8Array({ maxLength: 300 })
        .map((b) => new Uint8Array(Buffer.concat([Buffer.from('0010location '), b]))),
    )
    fc.assert(
      fc.property(bytes, key, (b, k) => timed(() => decodeAndVerify(b, k))),
      { numRuns: RUNS * 3 },
    )
  })

  it('valid tokens with random bytes inserted, deleted or overwritten', () => {
    const edit = fc.record({ at: fc.nat(), del: fc.nat({ max: 8 }), ins: fc.uint8Array({ maxLength: 8 }) })
    fc.assert(
      fc.property(
        realSetArb,
        fc.constantFrom<'v2' | 'v1'>('v2', 'v1'),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        (s, f, edits) => {
          let bytes = Buffer.from(s.primary.encode(f))
          for (const e of edits) {
            const at = e.at % (bytes.length + 1)
            bytes = Buffer.concat([bytes.subarray(0, at), e.ins, bytes.subarray(at + e.del)])
          }
          timed(() => decodeAndVerify(new Uint8Array(bytes), s.rootKey))
          timed(() => decodeAndVerify(bytes.toString('base64url'), s.rootKey))
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('random strings: unicode, base64 alphabets, JSON-looking and hex-looking text', () => {
    const strings = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...'ABCDEFabcdef0123456789+/-_=\n'), maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc.string({ unit: fc.constantFrom(...'{}[]":,\\ ivlcs64'), maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef '), maxLength: 100 }).map((s) => `00${s}\n`),
    )
    fc.assert(
      fc.property(strings, key, (s, k) => timed(() => decodeAndVerify(s, k))),
      { numRuns: RUNS * 3 },
    )
  })

  it('random JSON objects and JavaScript values, including near-macaroon shapes', () => {
    const b64 = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64url'))
    const field = fc.oneof(text(20), b64, fc.integer(), fc.constant(null), fc.boolean(), fc.array(text(5)))
    const nearCaveat = fc.dictionary(fc.constantFrom('i', 'i64', 'v', 'v64', 'l', 'cid', 'vid', 'cl'), field)
    const near = fc.oneof(
      fc.dictionary(fc.constantFrom('v', 'i', 'i64', 'l', 's', 's64'), field).chain((o) =>
        fc
          .option(
            fc.oneof(
              fc.array(fc.oneof(nearCaveat, fc.anything()), { maxLength: 4 }),
              // Sparse arrays (only a JS caller can make them) once decoded to a caveat list with holes.
              fc.sparseArray(nearCaveat, { maxLength: 4 }),
            ),
            { nil: undefined },
          )
          .map((c) => ({
            ...o,
            ...(c ? { c } : {}),
          })),
      ),
      fc.dictionary(fc.constantFrom('identifier', 'signature', 'location'), field).chain((o) =>
        fc
          .option(
            fc.oneof(fc.array(nearCaveat, { maxLength: 4 }), fc.sparseArray(nearCaveat, { maxLength: 4 })),
            {
              nil: undefined,
            },
          )
          .map((caveats) => ({
            ...o,
            ...(caveats ? { caveats } : {}),
          })),
      ),
    )
    const values = fc.oneof(
      near,
      fc.jsonValue({ maxDepth: 4 }),
      fc.anything({
        maxDepth: 3,
        withSparseArray: true,
        withTypedArray: true,
        withNullPrototype: true,
        withMap: true,
      }),
    )
    fc.assert(
      fc.property(values, key, (v, k) => {
        timed(() => decodeAndVerify(v, k))
        if (typeof v !== 'bigint') timed(() => decodeAndVerify(JSON.stringify(v) ?? '', k))
      }),
      { numRuns: RUNS * 3 },
    )
  })

  it('valid JSON macaroons (V2 and V1 objects) with fields replaced, deleted, or caveat lists made sparse', () => {
    type Obj = Record<string, unknown>
    const value = fc.oneof(
      text(12),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64url')),
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
      fc.array(text(4), { maxLength: 2 }),
      fc.object({ maxDepth: 1 }),
    )
    const perturbation = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        inCaveat: fc.boolean(),
        at: fc.nat(),
        key: fc.constantFrom(
          'v',
          'i',
          'i64',
          'l',
          's',
          's64',
          'c',
          'v64',
          'identifier',
          'signature',
          'location',
          'caveats',
          'cid',
          'vid',
          'cl',
        ),
        value,
      }),
      fc.record({
        kind: fc.constant('delete' as const),
        inCaveat: fc.boolean(),
        at: fc.nat(),
        key: fc.string(),
      }),
      fc.record({ kind: fc.constant('hole' as const), at: fc.nat({ max: 8 }) }),
    )
    const objects = fc
      .tuple(anyMacaroon, fc.boolean(), fc.array(perturbation, { minLength: 1, maxLength: 3 }))
      .map(([m, v1, changes]) => {
        const isText =
          utf8OrUndefined(m.identifier) !== undefined &&
          m.caveats.every((c) => utf8OrUndefined(c.identifier) !== undefined)
        const o = JSON.parse(v1 && isText ? m.encode('json-v1') : m.encode('json')) as Obj
        const listKey = 'caveats' in o ? 'caveats' : 'c'
        for (const ch of changes) {
          const list = o[listKey]
          if (ch.kind === 'hole') {
            if (!Array.isArray(list)) continue
            if (ch.at < list.length) delete list[ch.at]
            else list.length = ch.at + 1
            continue
          }
          const caveats = Array.isArray(list) ? (list as unknown[]) : []
          const target = ch.inCaveat ? caveats[ch.at % Math.max(1, caveats.length)] : o
          if (target === null || typeof target !== 'object') continue
          if (ch.kind === 'set') (target as Obj)[ch.key] = ch.value
          else
            delete (target as Obj)[Object.keys(target)[ch.at % Math.max(1, Object.keys(target).length)] ?? '']
        }
        return o
      })
    fc.assert(
      fc.property(objects, key, (o, k) => {
        timed(() => decodeAndVerify(o, k))
        timed(() => decodeAndVerify(JSON.stringify(o), k))
      }),
      { numRuns: RUNS * 3 },
    )
  })

  it('every input above took well under a second (and oversized inputs are refused at once)', () => {
    expect(slowest).toBeLessThan(1000)
    const start = performance.now()
    const huge = [
      'A'.repeat(LIMITS.maxTokenBytes + 1),
      new Uint8Array(LIMITS.maxTokenBytes + 1).fill(2),
      '['.repeat(LIMITS.maxTokenBytes),
      '"'.repeat(LIMITS.maxTokenBytes),
      `"${'\\"'.repeat(LIMITS.maxTokenBytes / 2 - 2)}"`,
      `{"c":[${'{"i":"x"},'.repeat(LIMITS.maxTokenBytes / 10 - 20)}{}],"i":"","s64":""}`,
      '0'.repeat(LIMITS.maxTokenBytes),
      new Uint8Array(LIMITS.maxTokenBytes).fill(0x80).fill(2, 0, 1),
      new Uint8Array(LIMITS.maxTokenBytes).fill(0).fill(2, 0, 1),
    ]
    for (const input of huge) expect(throwsCrumb(() => Macaroon.decode(input))).toBe(true)
    expect(performance.now() - start).toBeLessThan(2000)
  })
})
