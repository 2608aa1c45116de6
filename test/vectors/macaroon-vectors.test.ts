/**
 * Published macaroon test vectors (libmacaroons, go-macaroon, js-macaroon, pymacaroons,
 * py-macaroon-bakery), read in place from ../shared/vectors/macaroon-vectors.json.
 * One test per vector; see ../shared/vectors/README.md for the schema.
 */
import { Buffer } from 'node:buffer'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import nacl from 'tweetnacl'
import { describe, expect, it } from 'vitest'
import { CrumbError } from '../../src/errors.js'
import { fromBase64Lenient, toBase64Url, utf8OrUndefined } from '../../src/macaroon/bytes.js'
import { bindSignature } from '../../src/macaroon/crypto.js'
import { Macaroon } from '../../src/macaroon/index.js'
import { thirdPartyStep } from '../../src/macaroon/third-party.js'
import { appendPacketV1, parsePacketV1 } from '../../src/macaroon/v1-binary.js'
import { decodeV2 } from '../../src/macaroon/v2-binary.js'
import { hex, macaroonView } from '../helpers/macaroon-view.js'

// ---------------------------------------------------------------------------------------------
// Loading

const VECTORS_URL = new URL('../../../shared/vectors/macaroon-vectors.json', import.meta.url)
const VECTORS_PATH = fileURLToPath(VECTORS_URL)
if (!existsSync(VECTORS_PATH)) {
  throw new Error(
    `macaroon vectors not found at ${VECTORS_PATH}: the repo must be cloned with shared/ beside it (X/main, X/shared)`,
  )
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Replaces every `{"derived": true, "value": X}` by X, recursively. */
function unwrap(x: Json): Json {
  if (Array.isArray(x)) return x.map(unwrap)
  if (x !== null && typeof x === 'object') {
    if (x.derived === true && 'value' in x) return unwrap(x.value as Json)
    const out: { [key: string]: Json } = {}
    for (const [k, v] of Object.entries(x)) out[k] = unwrap(v)
    return out
  }
  return x
}

type BytesSpec = string | { hex: string } | { utf8: string } | { base64: string }

interface ExpectedCaveat {
  cid: BytesSpec
  vid_b64?: string
  location?: string
}

interface ExpectedMacaroon {
  location?: string
  identifier?: BytesSpec
  caveats?: ExpectedCaveat[]
  signature_hex?: string
  version?: 1 | 2
  exact_roundtrip?: boolean
}

interface PacketV1Expected {
  field: string
  data_utf8?: string
  data_generator?: { repeat: string; count: number }
  total_len?: number
}

interface PacketV2Expected {
  field_type: number
  data_utf8?: string
}

interface Generator {
  prefix: string
  repeat: string
  count: number
  suffix: string
}

interface BaseVector {
  name: string
  source: string
  kind: string
  note?: string
}

interface DecodeVector extends BaseVector {
  kind: 'decode'
  format: string
  input: string
  input_decoded?: string | Generator
  input_decoded_format?: string
  expected: ExpectedMacaroon & {
    bytes_utf8?: string
    packet?: PacketV1Expected | PacketV2Expected
    packets?: Array<PacketV1Expected | PacketV2Expected>
    encoder_output?: boolean
  }
}

interface VerifyVector extends BaseVector {
  kind: 'verify'
  format: string
  input: string
  input_decoded?: string
  discharges: string[]
  root_key: string
  root_key_encoding: string
  satisfied_predicates: string[]
  expected: { authorized: boolean; location?: string; identifier?: string; version?: 1 | 2 }
}

interface Serialization {
  format: string
  value?: string
  compare?: string
  field?: string
  expect?: 'ok' | 'error'
}

interface Step {
  op: 'create' | 'first_party' | 'third_party'
  cid?: string
  cid_generator?: { repeat: string; count: number }
  plaintext_condition?: string
  location?: string
  caveat_root_key?: string
  caveat_root_key_encoding?: string
  nonce_hex?: string
  vid_b64?: string
  signature_hex?: string
  serializations?: Serialization[]
  json_roundtrip_preserves_identifier?: boolean
}

interface SignatureVector extends BaseVector {
  kind: 'signature'
  version?: 1 | 2
  root_key: string
  root_key_encoding: string
  identifier: BytesSpec
  identifier_decoded?: BytesSpec
  location: string
  steps: Step[]
}

interface DischargeSpec {
  root_key: string
  root_key_encoding: string
  identifier: string
  location?: string
  first_party_caveats?: string[]
}

interface BindVector extends BaseVector {
  kind: 'bind'
  root_signature_hex?: string
  root_signature?: { utf8: string }
  discharge_signature_hex?: string
  discharge?: DischargeSpec
  expected: { bound_signature_hex: string }
}

interface VidVector extends BaseVector {
  kind: 'vid'
  signature_before_hex: string
  caveat_root_key: string
  caveat_root_key_encoding: string
  cid: string
  nonce_hex: string
  expected: { vid_b64: string; signature_after_hex: string }
}

interface BakeryVector extends BaseVector {
  kind: 'bakery-caveat-id'
  format: 'bakery-v1-json-b64-text' | 'bakery-v2-binary-b64url' | 'bakery-v3-binary-b64url'
  input: string
  third_party_private_key: string
  first_party_private_key: string
  expected: {
    condition: string
    root_key: string
    version: number
    first_party_public_key_b64: string
  }
  expected_decoded: {
    wrapper_json?: { ThirdPartyPublicKey: string; FirstPartyPublicKey: string; Nonce: string }
    plaintext?: string
    tp_public_key_prefix_hex?: string
    nonce_hex?: string
    namespace?: string
  }
}

interface ParseErrorVector extends BaseVector {
  kind: 'parse-error'
  format: string
  input: string
  input_decoded?: string
  input_decoded_format?: string
}

type Vector =
  | DecodeVector
  | VerifyVector
  | SignatureVector
  | BindVector
  | VidVector
  | BakeryVector
  | ParseErrorVector

interface VectorFile {
  about: { counts_by_kind: Record<string, number> }
  vectors: Vector[]
}

const file = unwrap(JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as Json) as unknown as VectorFile
const vectors = file.vectors
const ofKind = <K extends Vector['kind']>(kind: K): Array<Extract<Vector, { kind: K }>> =>
  vectors.filter((v): v is Extract<Vector, { kind: K }> => v.kind === kind)

// ---------------------------------------------------------------------------------------------
// Helpers

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))
const fromStdB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

function concat(...parts: Array<Uint8Array | number[]>): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)))))
}

function keyBytes(key: string, encoding: string | undefined): Uint8Array {
  if (encoding === undefined || encoding === 'utf8') return utf8(key)
  if (encoding === 'base64') return fromStdB64(key)
  throw new Error(`unknown key encoding ${encoding}`)
}

function specBytes(spec: BytesSpec): Uint8Array {
  if (typeof spec === 'string') return utf8(spec)
  if ('hex' in spec) return fromHex(spec.hex)
  if ('utf8' in spec) return utf8(spec.utf8)
  return fromStdB64(spec.base64)
}

/** Base64 in either alphabet, via the library's own lenient decoder (which must accept it). */
function b64(text: string): Uint8Array {
  const bytes = fromBase64Lenient(text)
  if (bytes === undefined) throw new Error(`vector holds bad base64: ${text}`)
  return bytes
}

/** Runs fn and asserts it throws a CrumbError with code invalid_token (never another exception). */
function expectInvalid(fn: () => unknown): void {
  let thrown: unknown
  try {
    fn()
  } catch (e) {
    thrown = e
  }
  expect(thrown, 'expected a CrumbError').toBeInstanceOf(CrumbError)
  expect((thrown as CrumbError).code).toBe('invalid_token')
}

function checkMacaroon(m: Macaroon, expected: ExpectedMacaroon): void {
  if (expected.location !== undefined) expect(m.location).toBe(expected.location)
  if (expected.identifier !== undefined) expect(hex(m.identifier)).toBe(hex(specBytes(expected.identifier)))
  if (expected.caveats !== undefined) {
    expect(m.caveats).toHaveLength(expected.caveats.length)
    expected.caveats.forEach((want, i) => {
      const got = m.caveats[i]!
      expect(hex(got.identifier)).toBe(hex(specBytes(want.cid)))
      if (want.vid_b64 === undefined) expect(got.verificationId).toBeUndefined()
      else expect(hex(got.verificationId ?? new Uint8Array())).toBe(hex(b64(want.vid_b64)))
      expect(got.location).toBe(want.location)
    })
  }
  if (expected.signature_hex !== undefined) expect(hex(m.signature)).toBe(expected.signature_hex)
  if (expected.version !== undefined) expect(m.version).toBe(expected.version)
}

/** Every format we write must read back to the same macaroon. */
function checkReencodings(m: Macaroon): void {
  const same = macaroonView(m)
  expect(macaroonView(Macaroon.decode(m.encode('v2')))).toEqual(same)
  expect(macaroonView(Macaroon.decode(toBase64Url(m.encode('v2'))))).toEqual(same)
  expect(macaroonView(Macaroon.decode(m.encode('json')))).toEqual(same)
  expect(macaroonView(Macaroon.decode(m.toJSON()))).toEqual(same)
  expect(macaroonView(Macaroon.decode(m.encode('v1')))).toEqual(same)
  expect(macaroonView(Macaroon.decode(toBase64Url(m.encode('v1'))))).toEqual(same)
  if (m.identifierText !== undefined && m.caveats.every((c) => utf8OrUndefined(c.identifier) !== undefined)) {
    expect(macaroonView(Macaroon.decode(m.encode('json-v1')))).toEqual(same)
  }
}

// V2 packet-level vectors go through decodeV2: a packet or section is placed where the format
// puts one, after a header holding identifier "a"; the signature is 32 zero bytes.
const V2_HEADER = [0x02, 0x02, 0x01, 0x61, 0x00]
const V2_SIGNATURE = concat([0x06, 0x20], new Uint8Array(32))

function parseGoV1Input(v: { input_decoded?: string | Generator }): Uint8Array {
  const d = v.input_decoded
  if (d === undefined) throw new Error('vector has no input_decoded')
  if (typeof d === 'string') return utf8(d)
  return utf8(d.prefix + d.repeat.repeat(d.count) + d.suffix)
}

// ---------------------------------------------------------------------------------------------
// Per-kind checks

function runDecode(v: DecodeVector): void {
  const e = v.expected
  switch (v.format) {
    case 'v1-binary-b64':
    case 'v2-binary-b64':
    case 'v1-json':
    case 'v2-json':
    case 'b64-of-v1-binary-b64':
    case 'b64-of-v2-json': {
      const m = Macaroon.decode(v.input)
      checkMacaroon(m, e)
      // The singly-decoded form of double encodings decodes to the same macaroon.
      if (typeof v.input_decoded === 'string')
        expect(macaroonView(Macaroon.decode(v.input_decoded))).toEqual(macaroonView(m))
      // JSON: also as a parsed object. Binary: also as raw bytes.
      if (v.format.endsWith('json') && !v.format.startsWith('b64')) {
        expect(macaroonView(Macaroon.decode(JSON.parse(v.input) as object))).toEqual(macaroonView(m))
      }
      if (v.format === 'v1-binary-b64' || v.format === 'v2-binary-b64') {
        const raw = b64(v.input.replace(/\n/g, ''))
        expect(macaroonView(Macaroon.decode(raw))).toEqual(macaroonView(m))
      }
      if (e.exact_roundtrip === true) {
        if (v.format === 'v1-json') {
          expect(JSON.parse(m.encode('json-v1'))).toEqual(JSON.parse(v.input))
        } else if (v.format === 'v2-json') {
          // go-macaroon's MarshalJSON (the source of this vector) writes no "v"; we write
          // "v": 2 as libmacaroons and js-macaroon do. Everything else must match exactly.
          const { v: version, ...ours } = m.toJSON()
          expect(version).toBe(2)
          expect(ours).toEqual(JSON.parse(v.input))
        } else {
          throw new Error(`exact_roundtrip not handled for ${v.format}`)
        }
      }
      checkReencodings(m)
      return
    }
    case 'base64-lenient': {
      const bytes = fromBase64Lenient(v.input)
      expect(bytes).toBeDefined()
      expect(Buffer.from(bytes!).toString('utf8')).toBe(e.bytes_utf8)
      return
    }
    case 'v1-packets': {
      const bytes = utf8(v.input)
      const want = (e.packets ?? []) as PacketV1Expected[]
      let pos = 0
      for (const p of want) {
        const got = parsePacketV1(bytes, pos)
        expect(got.key).toBe(p.field)
        expect(Buffer.from(got.value).toString('utf8')).toBe(p.data_utf8)
        pos = got.end
      }
      expect(pos).toBe(bytes.byteLength)
      if (e.encoder_output === true) {
        const parts: Uint8Array[] = []
        for (const p of want) appendPacketV1(parts, p.field, utf8(p.data_utf8 ?? ''))
        expect(Buffer.concat(parts).toString('utf8')).toBe(v.input)
      }
      return
    }
    case 'go-literal':
      runGoLiteralDecode(v)
      return
    default:
      throw new Error(`unhandled decode format ${v.format}`)
  }
}

function runGoLiteralDecode(v: DecodeVector): void {
  const e = v.expected
  const decoded = v.input_decoded
  switch (v.input_decoded_format) {
    case 'v2-binary-hex': {
      const bytes = fromHex(decoded as string)
      const m = Macaroon.decode(bytes)
      checkMacaroon(m, e)
      expect(macaroonView(Macaroon.fromData(decodeV2(bytes)))).toEqual(macaroonView(m))
      expect(macaroonView(Macaroon.decode(toBase64Url(bytes)))).toEqual(macaroonView(m))
      if (e.exact_roundtrip === true) expect(hex(m.encode('v2'))).toBe(hex(bytes))
      checkReencodings(m)
      return
    }
    case 'json-string-v2-binary-b64': {
      const m = Macaroon.decode(decoded as string)
      checkMacaroon(m, e)
      // The JSON string's content (std base64, padded) decodes the same.
      expect(macaroonView(Macaroon.decode(JSON.parse(decoded as string) as string))).toEqual(macaroonView(m))
      return
    }
    case 'v2-packet-hex': {
      // One packet, placed first in a caveat section (EOS: the end of the caveat list).
      const packet = fromHex(decoded as string)
      const want = e.packet as PacketV2Expected
      if (want.field_type === 0) {
        const m = decodeV2(concat(V2_HEADER, packet, V2_SIGNATURE))
        expect(m.caveats).toHaveLength(0)
      } else {
        expect(want.field_type).toBe(2)
        const m = decodeV2(concat(V2_HEADER, packet, [0x00, 0x00], V2_SIGNATURE))
        expect(m.caveats).toHaveLength(1)
        expect(Buffer.from(m.caveats[0]!.identifier).toString('utf8')).toBe(want.data_utf8)
      }
      return
    }
    case 'v2-section-hex': {
      // A whole section, placed as a caveat section (an empty section ends the caveat list).
      const section = fromHex(decoded as string)
      const want = (e.packets ?? []) as PacketV2Expected[]
      const bytes = concat(V2_HEADER, section, want.length === 0 ? [] : [0x00], V2_SIGNATURE)
      if (want.some((p) => ![1, 2, 4].includes(p.field_type))) {
        // A field type no caveat may hold (7): the generic section parses in Go, but a macaroon
        // decoder must refuse it (go-macaroon's parseBinaryV2 does too: "invalid field found
        // in caveat"). The same framing with the field type made a vid (4) must parse.
        expectInvalid(() => decodeV2(bytes))
        const fixed = new Uint8Array(section)
        let pos = 0
        for (const p of want) {
          const len = utf8(p.data_utf8 ?? '').byteLength
          if (![1, 2, 4].includes(p.field_type)) fixed[pos] = 4
          pos += 2 + len
        }
        const m = decodeV2(concat(V2_HEADER, fixed, [0x00], V2_SIGNATURE))
        expect(m.caveats).toHaveLength(1)
        const c = m.caveats[0]!
        expect(Buffer.from(c.identifier).toString('utf8')).toBe(want[0]!.data_utf8)
        expect(Buffer.from(c.verificationId ?? new Uint8Array()).toString('utf8')).toBe(want[1]!.data_utf8)
        return
      }
      const m = decodeV2(bytes)
      if (want.length === 0) {
        expect(m.caveats).toHaveLength(0)
        return
      }
      expect(m.caveats).toHaveLength(1)
      const c = m.caveats[0]!
      for (const p of want) {
        const got =
          p.field_type === 1 ? utf8(c.location ?? '') : p.field_type === 2 ? c.identifier : c.verificationId
        expect(Buffer.from(got ?? new Uint8Array()).toString('utf8')).toBe(p.data_utf8)
      }
      return
    }
    case 'v1-packet':
    case 'v1-packet-generator': {
      const bytes = parseGoV1Input(v)
      const want = e.packet as PacketV1Expected
      const got = parsePacketV1(bytes, 0)
      expect(got.key).toBe(want.field)
      const data = want.data_generator
        ? want.data_generator.repeat.repeat(want.data_generator.count)
        : want.data_utf8
      expect(Buffer.from(got.value).toString('utf8')).toBe(data)
      expect(got.end).toBe(want.total_len)
      expect(got.end).toBe(bytes.byteLength)
      return
    }
    default:
      throw new Error(`unhandled go-literal format ${v.input_decoded_format}`)
  }
}

function runVerify(v: VerifyVector): void {
  const key = keyBytes(v.root_key, v.root_key_encoding)
  const m = Macaroon.decode(v.input)
  if (v.input_decoded !== undefined)
    expect(macaroonView(Macaroon.decode(v.input_decoded))).toEqual(macaroonView(m))
  const discharges = v.discharges.map((d) => Macaroon.decode(d))
  const seen: string[] = []
  const check = (p: string): boolean => {
    seen.push(p)
    return v.satisfied_predicates.includes(p)
  }
  if (v.expected.location !== undefined) expect(m.location).toBe(v.expected.location)
  if (v.expected.identifier !== undefined) expect(m.identifierText).toBe(v.expected.identifier)
  if (v.expected.version !== undefined) expect(m.version).toBe(v.expected.version)
  if (!v.expected.authorized) {
    expectInvalid(() => m.verify(key, check, discharges))
    return
  }
  m.verify(key, check, discharges)
  // Every first-party caveat reached the checker (primary and discharges).
  const firstParty = [m, ...discharges].flatMap((x) =>
    x.caveats.filter((c) => c.verificationId === undefined).map((c) => Buffer.from(c.identifier).toString()),
  )
  expect([...seen].sort()).toEqual([...firstParty].sort())
  // Re-encoded in any format, the same macaroons still verify.
  for (const format of ['v2', 'json', 'v1', 'json-v1'] as const) {
    const again = (x: Macaroon): Macaroon => Macaroon.decode(x.encode(format))
    again(m).verify(key, check, discharges.map(again))
  }
  // The wrong key, or a missing discharge, is refused.
  expectInvalid(() => m.verify(utf8(`${v.root_key}!`), check, discharges))
  if (discharges.length > 0) expectInvalid(() => m.verify(key, check, discharges.slice(1)))
}

function runSignature(v: SignatureVector): void {
  const rootKey = keyBytes(v.root_key, v.root_key_encoding)
  const identifier = specBytes(v.identifier_decoded ?? v.identifier)
  let m: Macaroon | undefined
  for (const step of v.steps) {
    if (step.op === 'create') {
      m = Macaroon.mint({
        rootKey,
        identifier,
        location: v.location,
        ...(v.version ? { version: v.version } : {}),
      })
    } else if (step.op === 'first_party') {
      if (m === undefined) throw new Error('first_party before create')
      const cid = step.cid_generator ? step.cid_generator.repeat.repeat(step.cid_generator.count) : step.cid!
      if (step.plaintext_condition !== undefined) {
        // pymacaroons' encrypted caveat ("sbe::" + std-base64(nonce ‖ secretbox(plaintext, key =
        // current signature))): to us an opaque first-party caveat. Check it is what it claims.
        const box = fromStdB64(cid.slice('sbe::'.length))
        expect(hex(box.subarray(0, 24))).toBe(step.nonce_hex)
        const opened = nacl.secretbox.open(box.subarray(24), box.subarray(0, 24), m.signature)
        expect(opened && Buffer.from(opened).toString('utf8')).toBe(step.plaintext_condition)
      }
      m = m.addFirstPartyCaveat(cid)
    } else {
      if (m === undefined) throw new Error('third_party before create')
      m = m.addThirdPartyCaveat({
        rootKey: keyBytes(step.caveat_root_key!, step.caveat_root_key_encoding),
        identifier: step.cid!,
        ...(step.location ? { location: step.location } : {}),
        nonce: fromHex(step.nonce_hex!),
      })
      const c = m.caveats[m.caveats.length - 1]!
      if (step.vid_b64 !== undefined) expect(hex(c.verificationId!)).toBe(hex(b64(step.vid_b64)))
      expect(c.location).toBe(step.location)
    }
    if (step.signature_hex !== undefined) expect(hex(m.signature)).toBe(step.signature_hex)
    for (const s of step.serializations ?? []) checkSerialization(m, s)
    if (step.json_roundtrip_preserves_identifier === true) {
      expect(hex(Macaroon.decode(m.encode('json')).identifier)).toBe(hex(identifier))
    }
  }
}

function checkSerialization(m: Macaroon, s: Serialization): void {
  switch (s.format) {
    case 'v1-binary-b64': {
      if (s.expect === 'error') {
        expectInvalid(() => m.encode('v1'))
        return
      }
      const text = toBase64Url(m.encode('v1'))
      if (s.value !== undefined) {
        expect(text).toBe(s.value)
        expect(macaroonView(Macaroon.decode(s.value))).toEqual(macaroonView(m))
      }
      return
    }
    case 'v2-binary-b64':
      expect(toBase64Url(m.encode('v2'))).toBe(s.value)
      expect(macaroonView(Macaroon.decode(s.value!))).toEqual(macaroonView(m))
      return
    case 'v2-json': {
      const ours = JSON.parse(m.encode('json')) as Record<string, unknown>
      if (s.field !== undefined) expect(ours[s.field]).toBe(s.value)
      else expect(ours).toEqual(JSON.parse(s.value!))
      return
    }
    case 'v1-json':
      expect(JSON.parse(m.encode('json-v1'))).toEqual(JSON.parse(s.value!))
      expect(macaroonView(Macaroon.decode(s.value!))).toEqual(macaroonView(m))
      return
    default:
      throw new Error(`unhandled serialization format ${s.format}`)
  }
}

function runBind(v: BindVector): void {
  const root =
    v.root_signature_hex !== undefined ? fromHex(v.root_signature_hex) : utf8(v.root_signature?.utf8 ?? '')
  let dischargeSig: Uint8Array
  if (v.discharge !== undefined) {
    const d = v.discharge
    let dm = Macaroon.mint({
      rootKey: keyBytes(d.root_key, d.root_key_encoding),
      identifier: d.identifier,
      ...(d.location ? { location: d.location } : {}),
    })
    for (const c of d.first_party_caveats ?? []) dm = dm.addFirstPartyCaveat(c)
    if (v.discharge_signature_hex !== undefined) expect(hex(dm.signature)).toBe(v.discharge_signature_hex)
    dischargeSig = dm.signature
    const bound = dm.bindTo(root)
    expect(hex(bound.signature)).toBe(v.expected.bound_signature_hex)
    // Binding leaves everything but the signature alone.
    expect(macaroonView(bound)).toEqual({
      ...(macaroonView(dm) as object),
      signature: v.expected.bound_signature_hex,
    })
  } else {
    dischargeSig = fromHex(v.discharge_signature_hex!)
  }
  expect(hex(bindSignature(root, dischargeSig))).toBe(v.expected.bound_signature_hex)
}

function runVid(v: VidVector): void {
  const step = thirdPartyStep(
    fromHex(v.signature_before_hex),
    keyBytes(v.caveat_root_key, v.caveat_root_key_encoding),
    utf8(v.cid),
    fromHex(v.nonce_hex),
  )
  expect(hex(step.verificationId)).toBe(hex(b64(v.expected.vid_b64)))
  expect(hex(step.signature)).toBe(v.expected.signature_after_hex)
}

function readUvarint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0
  for (let shift = 0; ; shift += 7) {
    const b = bytes[pos++]
    if (b === undefined) throw new Error('truncated uvarint')
    value += (b & 0x7f) * 2 ** shift
    if ((b & 0x80) === 0) return [value, pos]
  }
}

function runBakery(v: BakeryVector): void {
  const tp = nacl.box.keyPair.fromSecretKey(fromStdB64(v.third_party_private_key))
  const fp = nacl.box.keyPair.fromSecretKey(fromStdB64(v.first_party_private_key))
  expect(Buffer.from(fp.publicKey).toString('base64')).toBe(v.expected.first_party_public_key_b64)
  let caveatId: Uint8Array
  let rootKey: Uint8Array
  let condition: string
  if (v.format === 'bakery-v1-json-b64-text') {
    // The caveat id is the base64 text itself: std base64 of a JSON wrapper around a box.
    caveatId = utf8(v.input)
    const wrapper = JSON.parse(Buffer.from(v.input, 'base64').toString('utf8')) as {
      ThirdPartyPublicKey: string
      FirstPartyPublicKey: string
      Nonce: string
      Id: string
    }
    expect(wrapper).toMatchObject(v.expected_decoded.wrapper_json ?? {})
    expect(wrapper.ThirdPartyPublicKey).toBe(Buffer.from(tp.publicKey).toString('base64'))
    expect(wrapper.FirstPartyPublicKey).toBe(v.expected.first_party_public_key_b64)
    const plain = nacl.box.open(
      fromStdB64(wrapper.Id),
      fromStdB64(wrapper.Nonce),
      fromStdB64(wrapper.FirstPartyPublicKey),
      tp.secretKey,
    )
    expect(plain).not.toBeNull()
    const text = Buffer.from(plain!).toString('utf8')
    expect(text).toBe(v.expected_decoded.plaintext)
    const body = JSON.parse(text) as { RootKey: string; Condition: string }
    rootKey = fromStdB64(body.RootKey)
    condition = body.Condition
  } else {
    // version(1) | third-party public key prefix(4) | first-party public key(32) | nonce(24) | box
    caveatId = b64(v.input)
    expect(caveatId[0]).toBe(v.expected.version)
    expect(hex(caveatId.subarray(1, 5))).toBe(v.expected_decoded.tp_public_key_prefix_hex)
    expect(hex(caveatId.subarray(1, 5))).toBe(hex(tp.publicKey.subarray(0, 4)))
    const fpPublic = caveatId.subarray(5, 37)
    expect(hex(fpPublic)).toBe(hex(fp.publicKey))
    const nonce = caveatId.subarray(37, 61)
    expect(hex(nonce)).toBe(v.expected_decoded.nonce_hex)
    const plain = nacl.box.open(caveatId.subarray(61), nonce, fpPublic, tp.secretKey)
    expect(plain).not.toBeNull()
    // plaintext: version | uvarint(len) rootKey | [v3: uvarint(len) namespace] | condition
    expect(plain![0]).toBe(v.expected.version)
    const [keyLen, keyStart] = readUvarint(plain!, 1)
    rootKey = plain!.subarray(keyStart, keyStart + keyLen)
    let pos = keyStart + keyLen
    if (v.expected.version >= 3) {
      const [nsLen, nsStart] = readUvarint(plain!, pos)
      expect(Buffer.from(plain!.subarray(nsStart, nsStart + nsLen)).toString('utf8')).toBe(
        v.expected_decoded.namespace,
      )
      pos = nsStart + nsLen
    }
    condition = Buffer.from(plain!.subarray(pos)).toString('utf8')
  }
  expect(condition).toBe(v.expected.condition)
  expect(Buffer.from(rootKey).toString('base64')).toBe(v.expected.root_key)

  // The bakery caveat id and root key work as a third-party caveat in our macaroons.
  const primary = Macaroon.mint({ rootKey: 'primary key', identifier: 'primary' }).addThirdPartyCaveat({
    rootKey,
    identifier: caveatId,
    location: 'https://bakery.example',
  })
  const discharge = Macaroon.mint({ rootKey, identifier: caveatId })
    .addFirstPartyCaveat(condition)
    .bindTo(primary)
  primary.verify('primary key', (p) => p === condition, [discharge])
  expectInvalid(() => primary.verify('primary key', () => false, [discharge]))
}

function runParseError(v: ParseErrorVector): void {
  switch (v.format) {
    case 'v2-json':
      expectInvalid(() => Macaroon.decode(v.input))
      expectInvalid(() => Macaroon.decode(JSON.parse(v.input) as object))
      return
    case 'base64-lenient':
      expect(fromBase64Lenient(v.input)).toBeUndefined()
      expectInvalid(() => Macaroon.decode(v.input))
      return
    case 'go-literal': {
      if (v.input_decoded_format === 'v1-packet') {
        const bytes = utf8(v.input_decoded ?? '')
        expectInvalid(() => parsePacketV1(bytes, 0))
        expectInvalid(() => Macaroon.decode(bytes))
        return
      }
      if (v.input_decoded_format === 'v2-packet-hex' || v.input_decoded_format === 'v2-section-hex') {
        // Where the header section starts, and where a caveat section starts.
        const bytes = fromHex(v.input_decoded ?? '')
        for (const placed of [concat([0x02], bytes), concat(V2_HEADER, bytes)]) {
          expectInvalid(() => decodeV2(placed))
          expectInvalid(() => Macaroon.decode(placed))
          expectInvalid(() => Macaroon.decode(toBase64Url(placed)))
        }
        return
      }
      throw new Error(`unhandled go-literal format ${v.input_decoded_format}`)
    }
    default:
      throw new Error(`unhandled parse-error format ${v.format}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Tests

describe('macaroon vectors (../shared/vectors/macaroon-vectors.json)', () => {
  it('holds all 115 vectors with unique names, as counted in about.counts_by_kind', () => {
    expect(vectors).toHaveLength(115)
    expect(new Set(vectors.map((v) => v.name)).size).toBe(115)
    const counts: Record<string, number> = {}
    for (const v of vectors) counts[v.kind] = (counts[v.kind] ?? 0) + 1
    expect(counts).toEqual(file.about.counts_by_kind)
    expect(counts).toEqual({
      decode: 37,
      verify: 26,
      signature: 17,
      bind: 3,
      vid: 2,
      'bakery-caveat-id': 3,
      'parse-error': 27,
    })
  })

  describe('decode', () => it.each(ofKind('decode'))('$name', runDecode))
  describe('verify', () => it.each(ofKind('verify'))('$name', runVerify))
  describe('signature', () => it.each(ofKind('signature'))('$name', runSignature))
  describe('bind', () => it.each(ofKind('bind'))('$name', runBind))
  describe('vid', () => it.each(ofKind('vid'))('$name', runVid))
  describe('bakery-caveat-id', () => it.each(ofKind('bakery-caveat-id'))('$name', runBakery))
  describe('parse-error', () => it.each(ofKind('parse-error'))('$name', runParseError))
})
