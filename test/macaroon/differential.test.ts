/**
 * Differential tests against the npm `macaroon` package (3.0.4, go-macaroon/js-macaroon), an
 * independent implementation: the same steps give the same signatures and bytes, what one side
 * mints the other verifies, and what one side refuses after tampering the other refuses too.
 */
import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import type { NpmMacaroon } from 'macaroon'
import * as npm from 'macaroon'
import { describe, expect, it } from 'vitest'
import { CrumbError } from '../../src/errors.js'
import { toBase64Url } from '../../src/macaroon/bytes.js'
import { Macaroon } from '../../src/macaroon/index.js'
import { hex } from '../helpers/macaroon-view.js'

const RUNS = 200

// ---------------------------------------------------------------------------------------------
// A macaroon and its discharges as plain data, built the same way by both libraries.

type CaveatSpec =
  | { kind: 'first'; predicate: string }
  | { kind: 'third'; location: string; discharge: MacaroonSpec }

interface MacaroonSpec {
  rootKey: Uint8Array
  id: Uint8Array
  location: string
  caveats: CaveatSpec[]
}

const text = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength })
const bytesOrText = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength }),
    text(maxLength).map((s) => new TextEncoder().encode(s)),
  )

/** A macaroon spec whose third-party caveats nest up to `depth` levels of discharges. */
function specArb(depth: number, maxCaveats = 5): fc.Arbitrary<MacaroonSpec> {
  const first = text(24).map((predicate): CaveatSpec => ({ kind: 'first', predicate }))
  const caveat: fc.Arbitrary<CaveatSpec> =
    depth === 0
      ? first
      : fc.oneof(
          { weight: 3, arbitrary: first },
          {
            weight: 1,
            arbitrary: fc
              .record({ location: text(16), discharge: specArb(depth - 1, 3) })
              .map((c): CaveatSpec => ({ kind: 'third', ...c })),
          },
        )
  return fc.record({
    rootKey: fc.uint8Array({ minLength: 1, maxLength: 48 }),
    id: bytesOrText(32),
    location: text(16),
    caveats: fc.array(caveat, { maxLength: maxCaveats }),
  })
}

/** Makes every discharge identifier unique (both libraries match discharges by identifier). */
function uniqueIds(spec: MacaroonSpec): MacaroonSpec {
  let n = 0
  const walk = (s: MacaroonSpec, id: Uint8Array): MacaroonSpec => ({
    ...s,
    id,
    caveats: s.caveats.map((c) => {
      if (c.kind === 'first') return c
      const prefix = new TextEncoder().encode(`tp${n++}:`)
      return { ...c, discharge: walk(c.discharge, new Uint8Array(Buffer.concat([prefix, c.discharge.id]))) }
    }),
  })
  return walk(spec, spec.id)
}

const uniqueSpecArb = (depth: number): fc.Arbitrary<MacaroonSpec> => specArb(depth).map(uniqueIds)

/** Every first-party predicate in the spec and its discharges. */
function predicates(spec: MacaroonSpec): string[] {
  return spec.caveats.flatMap((c) => (c.kind === 'first' ? [c.predicate] : predicates(c.discharge)))
}

interface Built<M> {
  primary: M
  /** Bound to the primary. */
  discharges: M[]
  /** The same discharges, unbound. */
  unbound: M[]
}

function buildOurs(spec: MacaroonSpec, nonces?: Uint8Array[]): Built<Macaroon> {
  const unbound: Macaroon[] = []
  const chain = (s: MacaroonSpec): Macaroon => {
    let m = Macaroon.mint({ rootKey: s.rootKey, identifier: s.id, location: s.location })
    for (const c of s.caveats) {
      if (c.kind === 'first') {
        m = m.addFirstPartyCaveat(c.predicate)
        continue
      }
      const nonce = nonces?.shift()
      m = m.addThirdPartyCaveat({
        rootKey: c.discharge.rootKey,
        identifier: c.discharge.id,
        location: c.location,
        ...(nonce ? { nonce } : {}),
      })
      unbound.push(chain(c.discharge))
    }
    return m
  }
  const primary = chain(spec)
  return { primary, discharges: unbound.map((d) => d.bindTo(primary)), unbound }
}

/** Builds with npm `macaroon`; `nonces` receives the nonce of each third-party caveat, in order. */
function buildTheirs(spec: MacaroonSpec, nonces?: Uint8Array[]): Built<NpmMacaroon> {
  const unbound: NpmMacaroon[] = []
  const chain = (s: MacaroonSpec): NpmMacaroon => {
    const m = npm.newMacaroon({ rootKey: s.rootKey, identifier: s.id, location: s.location })
    for (const c of s.caveats) {
      if (c.kind === 'first') {
        m.addFirstPartyCaveat(c.predicate)
        continue
      }
      m.addThirdPartyCaveat(c.discharge.rootKey, c.discharge.id, c.location)
      nonces?.push(m.caveats[m.caveats.length - 1]!.vid!.slice(0, 24))
      unbound.push(chain(c.discharge))
    }
    return m
  }
  const primary = chain(spec)
  const discharges = unbound.map((d) => {
    const bound = d.clone()
    bound.bindToRoot(primary.signature)
    return bound
  })
  return { primary, discharges, unbound }
}

// ---------------------------------------------------------------------------------------------
// Exchange between the libraries

/**
 * npm `macaroon` 3.0.4's exportBinary doubles its buffer on every append (its `_grow` compares
 * with an unset `_capacity`): ~13 MB for one caveat, hundreds of MB for two or three, a RangeError
 * from four. So binary export is used for at most one caveat; JSON always works.
 */
function theirBinary(m: NpmMacaroon): Uint8Array | undefined {
  if (m.caveats.length > 1) return undefined
  try {
    return m.exportBinary()
  } catch (e) {
    if (e instanceof RangeError) return undefined
    throw e
  }
}

function toTheirs(m: Macaroon, via: 'json' | 'binary'): NpmMacaroon {
  return via === 'json' ? npm.importMacaroon(m.toJSON()) : npm.importMacaroon(toBase64Url(m.encode('v2')))
}

function toOurs(m: NpmMacaroon, via: 'json' | 'binary'): Macaroon {
  const binary = via === 'binary' ? theirBinary(m) : undefined
  return Macaroon.decode(binary ?? m.exportJSON())
}

function ourVerdict(m: Macaroon, key: Uint8Array, ok: (p: string) => boolean, ds: Macaroon[]): boolean {
  try {
    m.verify(key, ok, ds)
    return true
  } catch (e) {
    // Our verify only ever fails with a CrumbError.
    expect(e).toBeInstanceOf(CrumbError)
    expect((e as CrumbError).code).toBe('invalid_token')
    return false
  }
}

function theirVerdict(
  m: NpmMacaroon,
  key: Uint8Array,
  ok: (p: string) => boolean,
  ds: NpmMacaroon[],
): boolean {
  try {
    m.verify(key, (p) => (ok(p) ? null : 'not satisfied'), ds)
    return true
  } catch {
    return false
  }
}

const viaArb = fc.constantFrom<'json' | 'binary'>('json', 'binary')

// ---------------------------------------------------------------------------------------------

describe('differential: npm macaroon 3.0.4', () => {
  it('first-party chains: identical signatures, V2 binary bytes and V2/V1 JSON', () => {
    fc.assert(
      fc.property(uniqueSpecArb(0), (spec) => {
        const ours = buildOurs(spec).primary
        const theirs = buildTheirs(spec).primary
        expect(hex(ours.signature)).toBe(hex(theirs.signature))
        // The batch form gives the same chain.
        const batch = Macaroon.mint({
          rootKey: spec.rootKey,
          identifier: spec.id,
          location: spec.location,
        }).addFirstPartyCaveats(predicates(spec))
        expect(hex(batch.signature)).toBe(hex(theirs.signature))
        const binary = theirBinary(theirs)
        if (binary) expect(hex(ours.encode('v2'))).toBe(hex(binary))
        expect(JSON.parse(ours.encode('json'))).toEqual(theirs.exportJSON())
        // V1 JSON (needs UTF-8 identifiers; npm omits an empty location where we write "").
        if (ours.identifierText !== undefined) {
          const v1 = npm.importMacaroon(JSON.parse(ours.encode('json-v1')) as object)
          expect(hex(v1.signature)).toBe(hex(ours.signature))
          const { location, ...rest } = ours.toJSONV1()
          expect(location === '' ? rest : { ...rest, location }).toEqual(v1.exportJSON())
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('third-party caveats: with the same nonce, identical verification ids and signatures', () => {
    fc.assert(
      fc.property(uniqueSpecArb(2), (spec) => {
        const nonces: Uint8Array[] = []
        const theirs = buildTheirs(spec, nonces)
        const ours = buildOurs(spec, nonces)
        expect(nonces).toHaveLength(0)
        expect(hex(ours.primary.signature)).toBe(hex(theirs.primary.signature))
        expect(ours.primary.caveats.map((c) => c.verificationId && hex(c.verificationId))).toEqual(
          theirs.primary.caveats.map((c) => c.vid && hex(c.vid)),
        )
        expect(ours.discharges.map((d) => hex(d.signature))).toEqual(
          theirs.discharges.map((d) => hex(d.signature)),
        )
        // npm writes "l": "" for a third-party caveat without location; we leave it out.
        const theirJson = theirs.primary.exportJSON() as { c?: Array<{ l?: string }> }
        for (const c of theirJson.c ?? []) if (c.l === '') delete c.l
        expect(JSON.parse(ours.primary.encode('json'))).toEqual(theirJson)
      }),
      { numRuns: RUNS },
    )
  })

  it('ours mints (with discharges) → theirs verifies, and ours verifies', () => {
    let withDischarges = 0
    let nested = 0
    fc.assert(
      fc.property(uniqueSpecArb(2), viaArb, (spec, via) => {
        const { primary, discharges } = buildOurs(spec)
        if (discharges.length > 0) withDischarges++
        if (discharges.some((d) => d.caveats.some((c) => c.verificationId !== undefined))) nested++
        const key = spec.rootKey
        const ok = (p: string): boolean => predicates(spec).includes(p)
        expect(ourVerdict(primary, key, ok, discharges)).toBe(true)
        const theirs = toTheirs(primary, via)
        expect(
          theirVerdict(
            theirs,
            key,
            ok,
            discharges.map((d) => toTheirs(d, via)),
          ),
        ).toBe(true)
      }),
      { numRuns: RUNS },
    )
    // The generator really produces discharges, and discharges that need discharges.
    expect(withDischarges).toBeGreaterThan(RUNS / 10)
    expect(nested).toBeGreaterThan(0)
  })

  it('theirs mints (with discharges) → ours verifies, and theirs verifies', () => {
    fc.assert(
      fc.property(uniqueSpecArb(2), viaArb, (spec, via) => {
        const { primary, discharges } = buildTheirs(spec)
        const key = spec.rootKey
        const ok = (p: string): boolean => predicates(spec).includes(p)
        expect(theirVerdict(primary, key, ok, discharges)).toBe(true)
        expect(
          ourVerdict(
            toOurs(primary, via),
            key,
            ok,
            discharges.map((d) => toOurs(d, via)),
          ),
        ).toBe(true)
      }),
      { numRuns: RUNS },
    )
  })

  // Tampering, applied to the plain data of a valid set (primary + bound discharges).
  type Tamper =
    | { kind: 'flip-caveat'; target: number; caveat: number; byte: number; mask: number }
    | { kind: 'flip-signature'; target: number; byte: number; mask: number }
    | { kind: 'drop-caveat'; target: number; caveat: number }
    | { kind: 'wrong-key'; extra: number }
    | { kind: 'unbound-discharge'; target: number }
    | { kind: 'foreign-binding'; target: number }
    | { kind: 'drop-discharge'; target: number }
    | { kind: 'duplicate-discharge'; target: number }
    | { kind: 'refuse-predicate'; caveat: number }

  const index = fc.nat({ max: 1000 })
  const mask = fc.integer({ min: 1, max: 255 })
  const tamperArb: fc.Arbitrary<Tamper> = fc.oneof(
    fc.record({ kind: fc.constant('flip-caveat' as const), target: index, caveat: index, byte: index, mask }),
    fc.record({
      kind: fc.constant('flip-signature' as const),
      target: index,
      byte: fc.nat({ max: 31 }),
      mask,
    }),
    fc.record({ kind: fc.constant('drop-caveat' as const), target: index, caveat: index }),
    fc.record({ kind: fc.constant('wrong-key' as const), extra: fc.nat({ max: 255 }) }),
    fc.record({ kind: fc.constant('unbound-discharge' as const), target: index }),
    fc.record({ kind: fc.constant('foreign-binding' as const), target: index }),
    fc.record({ kind: fc.constant('drop-discharge' as const), target: index }),
    fc.record({ kind: fc.constant('duplicate-discharge' as const), target: index }),
    fc.record({ kind: fc.constant('refuse-predicate' as const), caveat: index }),
  )

  /** Applies a tamper; undefined when it cannot apply to this set (e.g. no discharges). */
  function tamper(
    spec: MacaroonSpec,
    built: Built<Macaroon>,
    t: Tamper,
  ): { all: Macaroon[]; key: Uint8Array; ok: (p: string) => boolean } | undefined {
    const all = [built.primary, ...built.discharges]
    const preds = predicates(spec)
    let key = spec.rootKey
    let ok = (p: string): boolean => preds.includes(p)
    const edit = (i: number, f: (m: Macaroon) => Macaroon): void => {
      all[i] = f(all[i]!)
    }
    const nDischarges = built.discharges.length
    switch (t.kind) {
      case 'flip-caveat': {
        const withCaveats = all.map((m, i) => [m, i] as const).filter(([m]) => m.caveats.length > 0)
        const picked = withCaveats[t.target % Math.max(1, withCaveats.length)]
        if (picked === undefined) return undefined
        const [m, i] = picked
        const ci = t.caveat % m.caveats.length
        const c = m.caveats[ci]!
        if (c.identifier.byteLength === 0) return undefined
        const id = new Uint8Array(c.identifier)
        const at = t.byte % id.byteLength
        id[at] = id[at]! ^ t.mask
        const caveats = m.caveats.map((x, j) => (j === ci ? { ...x, identifier: id } : x))
        ok = () => true // isolate the signature: every predicate passes
        edit(i, () => Macaroon.fromData({ ...m.data, caveats }))
        return { all, key, ok }
      }
      case 'flip-signature': {
        const i = t.target % all.length
        edit(i, (m) => {
          const signature = new Uint8Array(m.signature)
          signature[t.byte] = signature[t.byte]! ^ t.mask
          return Macaroon.fromData({ ...m.data, signature })
        })
        return { all, key, ok }
      }
      case 'drop-caveat': {
        const withCaveats = all.map((m, i) => [m, i] as const).filter(([m]) => m.caveats.length > 0)
        const picked = withCaveats[t.target % Math.max(1, withCaveats.length)]
        if (picked === undefined) return undefined
        const [m, i] = picked
        const ci = t.caveat % m.caveats.length
        edit(i, () => Macaroon.fromData({ ...m.data, caveats: m.caveats.filter((_, j) => j !== ci) }))
        return { all, key, ok }
      }
      case 'wrong-key':
        key = new Uint8Array(Buffer.concat([spec.rootKey, Uint8Array.of(t.extra)]))
        return { all, key, ok }
      case 'unbound-discharge':
        if (nDischarges === 0) return undefined
        all[1 + (t.target % nDischarges)] = built.unbound[t.target % nDischarges]!
        return { all, key, ok }
      case 'foreign-binding': {
        if (nDischarges === 0) return undefined
        const other = built.primary.addFirstPartyCaveat('another primary')
        all[1 + (t.target % nDischarges)] = built.unbound[t.target % nDischarges]!.bindTo(other)
        return { all, key, ok }
      }
      case 'drop-discharge':
        if (nDischarges === 0) return undefined
        all.splice(1 + (t.target % nDischarges), 1)
        return { all, key, ok }
      case 'duplicate-discharge':
        if (nDischarges === 0) return undefined
        all.push(all[1 + (t.target % nDischarges)]!)
        return { all, key, ok }
      case 'refuse-predicate': {
        if (preds.length === 0) return undefined
        const refused = preds[t.caveat % preds.length]!
        ok = (p) => p !== refused && preds.includes(p)
        return { all, key, ok }
      }
    }
  }

  it('tampered sets (flipped caveat or signature byte, dropped caveat or discharge, wrong key, unbound / foreign-bound / duplicated discharge, refused predicate) fail on both sides', () => {
    const applied = new Map<Tamper['kind'], number>()
    fc.assert(
      fc.property(uniqueSpecArb(2), tamperArb, viaArb, (spec, t, via) => {
        const built = buildOurs(spec)
        const tampered = tamper(spec, built, t)
        fc.pre(tampered !== undefined)
        applied.set(t.kind, (applied.get(t.kind) ?? 0) + 1)
        const { all, key, ok } = tampered!
        const [primary, ...discharges] = all as [Macaroon, ...Macaroon[]]
        expect(ourVerdict(primary, key, ok, discharges)).toBe(false)
        // Round-trip through bytes on our side too: decoding must not "repair" anything.
        const again = (m: Macaroon): Macaroon => Macaroon.decode(m.encode('v2'))
        expect(ourVerdict(again(primary), key, ok, discharges.map(again))).toBe(false)
        expect(
          theirVerdict(
            toTheirs(primary, via),
            key,
            ok,
            discharges.map((d) => toTheirs(d, via)),
          ),
        ).toBe(false)
      }),
      { numRuns: RUNS * 2 },
    )
    // Every kind of tampering was exercised.
    expect(applied.size).toBe(9)
  })

  it('agrees with theirs on random verdicts (random key guess, random subset of satisfied predicates)', () => {
    fc.assert(
      fc.property(uniqueSpecArb(1), fc.boolean(), fc.infiniteStream(fc.boolean()), (spec, rightKey, coin) => {
        const { primary, discharges } = buildTheirs(spec)
        const accepted = new Set(predicates(spec).filter(() => coin.next().value as boolean))
        const ok = (p: string): boolean => accepted.has(p)
        const key = rightKey ? spec.rootKey : Uint8Array.from([...spec.rootKey, 0])
        const theirs = theirVerdict(primary, key, ok, discharges)
        const ours = ourVerdict(
          toOurs(primary, 'json'),
          key,
          ok,
          discharges.map((d) => toOurs(d, 'json')),
        )
        expect(ours).toBe(theirs)
      }),
      { numRuns: RUNS },
    )
  })
})
