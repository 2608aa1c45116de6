/**
 * The canonical-base64 fast path (base64IntoScratch, issue #21) must decode exactly what Buffer
 * decodes, for every length and both alphabets, and fail closed (undefined, so the caller takes
 * the lenient decoder) on anything that is not canonical: stray characters, padding where there
 * should be none, non-zero trailing bits, impossible lengths. Decoded macaroons must not alias the
 * scratch it decodes into.
 */
import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { base64IntoScratch } from '../../src/macaroon/bytes.js'
import { decodeMacaroonData } from '../../src/macaroon/decode.js'
import { Macaroon } from '../../src/macaroon/index.js'
import type { MacaroonData } from '../../src/macaroon/types.js'
import { decodeV2, encodeV2, encodeV2Base64Url } from '../../src/macaroon/v2-binary.js'
import { decodeToken } from '../../src/token/format.js'

const ENCODINGS = ['base64url', 'base64'] as const
const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** What the fast path must return for `text`: Buffer's bytes when the text is canonical, else undefined. */
function expected(text: string, encoding: (typeof ENCODINGS)[number]): Uint8Array | undefined {
  const bytes = Buffer.from(text, encoding)
  if (bytes.length === 0 || bytes.toString(encoding) !== text) return undefined
  return new Uint8Array(bytes)
}

function decoded(text: string, encoding: (typeof ENCODINGS)[number]): Uint8Array | undefined {
  const view = base64IntoScratch(text, encoding)
  return view === undefined ? undefined : Uint8Array.from(view)
}

describe('base64IntoScratch', () => {
  it("equals Buffer's decoding of canonical text at every length 1–600, both alphabets", () => {
    const bytes = new Uint8Array(600).map((_, i) => (i * 151 + 17) & 0xff)
    for (let n = 1; n <= 600; n++) {
      for (const encoding of ENCODINGS) {
        const text = Buffer.from(bytes.subarray(0, n)).toString(encoding)
        const out = decoded(text, encoding)
        if (out === undefined || !Buffer.from(out).equals(Buffer.from(bytes.subarray(0, n))))
          expect.fail(`${encoding}, ${n} bytes`)
      }
    }
  })

  it('agrees with Buffer on random bytes, and on random text of the alphabet and beyond', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (bytes) => {
        for (const encoding of ENCODINGS) {
          expect(decoded(Buffer.from(bytes).toString(encoding), encoding)).toEqual(new Uint8Array(bytes))
        }
      }),
      { numRuns: 1000 },
    )
    const alphabetText = fc.string({
      unit: fc.constantFrom(...URL_ALPHABET, '+', '/', '=', ' ', '\n', '.', 'é', '\u0000', '\u{1F600}'),
      maxLength: 80,
    })
    fc.assert(
      fc.property(fc.oneof(alphabetText, fc.string({ unit: 'binary', maxLength: 80 })), (text) => {
        for (const encoding of ENCODINGS) expect(decoded(text, encoding)).toEqual(expected(text, encoding))
      }),
      { numRuns: 5000 },
    )
  })

  it('fails closed on every single-character corruption of canonical text', () => {
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff)
    for (const encoding of ENCODINGS) {
      const text = Buffer.from(bytes).toString(encoding)
      for (let i = 0; i < text.length; i++) {
        for (const c of ['=', '.', ' ', '\n', '!', 'é', '\u0000', encoding === 'base64' ? '-' : '+']) {
          const bad = text.slice(0, i) + c + text.slice(i + 1)
          expect(decoded(bad, encoding), `${encoding} ${JSON.stringify(bad)}`).toEqual(
            expected(bad, encoding),
          )
        }
      }
    }
  })

  it('refuses what is not canonical: empty, length 1 mod 4, non-zero trailing bits, wrong padding', () => {
    expect(base64IntoScratch('', 'base64url')).toBeUndefined()
    expect(base64IntoScratch('AAAAA', 'base64url')).toBeUndefined()
    expect(base64IntoScratch('AB', 'base64url')).toBeUndefined() // 'AA' is the canonical form of 0x00
    expect(decoded('AA', 'base64url')).toEqual(Uint8Array.of(0))
    expect(base64IntoScratch('AA==', 'base64url')).toBeUndefined()
    expect(base64IntoScratch('AA', 'base64')).toBeUndefined()
    expect(decoded('AA==', 'base64')).toEqual(Uint8Array.of(0))
    expect(base64IntoScratch('AA=', 'base64')).toBeUndefined()
    expect(base64IntoScratch('-w', 'base64')).toBeUndefined()
    expect(base64IntoScratch('+w', 'base64url')).toBeUndefined()
  })

  it('refuses more than 48 KiB rather than truncating', () => {
    const big = Buffer.alloc(48 * 1024 + 3, 7).toString('base64url')
    expect(base64IntoScratch(big, 'base64url')).toBeUndefined()
    const fits = Buffer.alloc(48 * 1024, 7).toString('base64url')
    expect(base64IntoScratch(fits, 'base64url')?.length).toBe(48 * 1024)
  })
})

describe('decoding from shared scratch', () => {
  const a = Macaroon.mint({
    rootKey: 'k',
    identifier: 'id-a',
    location: 'https://a.example',
  }).addFirstPartyCaveats(['x = 1', 'a long caveat '.repeat(10)])
  const b = Macaroon.mint({ rootKey: 'k', identifier: 'id-b-which-is-longer' }).addFirstPartyCaveats([
    'y = 2',
    'z = 3',
  ])

  it('decodeV2 copies every field: changing the input afterwards changes nothing', () => {
    const bytes = encodeV2(a.data)
    const data = decodeV2(bytes)
    const before = JSON.stringify(Macaroon.fromData(data).toJSON())
    bytes.fill(0xff)
    expect(JSON.stringify(Macaroon.fromData(data).toJSON())).toBe(before)
  })

  it('a macaroon decoded earlier is unchanged by later decodes (token and generic fast paths)', () => {
    for (const decode of [
      (m: Macaroon) => decodeToken(`crumb_${m.toBase64()}`),
      (m: Macaroon) => Macaroon.decode(m.toBase64()),
      (m: Macaroon) => Macaroon.decode(Buffer.from(m.encode('v2')).toString('base64')),
      (m: Macaroon) => Macaroon.fromData(decodeMacaroonData(` ${m.toBase64()}\n`)),
    ]) {
      const first = decode(a)
      const before = JSON.stringify(first.toJSON())
      decode(b)
      decode(b)
      expect(JSON.stringify(first.toJSON())).toBe(before)
      expect(JSON.stringify(decode(a).toJSON())).toBe(before)
    }
  })

  it('non-canonical base64 still decodes through the lenient path, to the same macaroon', () => {
    const text = a.toBase64()
    const last = URL_ALPHABET.indexOf(text.at(-1)!)
    // Set the unused low bits of the last character: Buffer (and go-macaroon) ignore them.
    const sloppy = text.slice(0, -1) + URL_ALPHABET[last | (text.length % 4 === 2 ? 0b1111 : 0b11)]
    expect(sloppy).not.toBe(text)
    expect(JSON.stringify(Macaroon.decode(sloppy).toJSON())).toBe(JSON.stringify(a.toJSON()))
    expect(JSON.stringify(decodeToken(`crumb_${sloppy}`).toJSON())).toBe(JSON.stringify(a.toJSON()))
  })
})

describe('V2 written in place and read back (encodeV2, encodeV2Base64Url, decodeV2)', () => {
  // Fields on both sides of 64 bytes (copied by loop, or by TypedArray.set) and of 128 (a
  // two-byte length varint); locations in UTF-8 beyond ASCII.
  const field = fc.uint8Array({ maxLength: 300 })
  const location = fc.option(fc.string({ minLength: 1, maxLength: 150 }), { nil: undefined })
  const data: fc.Arbitrary<MacaroonData> = fc
    .record({
      identifier: field,
      location,
      caveats: fc.array(
        fc.record({
          identifier: field,
          verificationId: fc.option(fc.uint8Array({ minLength: 1, maxLength: 200 }), { nil: undefined }),
          location,
        }),
        { maxLength: 5 },
      ),
      signature: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    })
    .map(({ identifier, location, caveats, signature }) => ({
      identifier,
      signature,
      version: 2 as const,
      ...(location ? { location } : {}),
      caveats: caveats.map((c) => ({
        identifier: c.identifier,
        ...(c.verificationId ? { verificationId: c.verificationId } : {}),
        ...(c.location ? { location: c.location } : {}),
      })),
    }))

  it('base64url from scratch equals base64url of the array, and both read back to the same fields', () => {
    fc.assert(
      fc.property(data, (m) => {
        const bytes = encodeV2(m)
        const text = encodeV2Base64Url(m)
        expect(text).toBe(Buffer.from(bytes).toString('base64url'))
        const back = decodeV2(Uint8Array.from(Buffer.from(text, 'base64url')))
        expect(back).toEqual({ ...m, caveats: m.caveats.map((c) => ({ ...c })) })
        expect(Buffer.from(encodeV2(back)).equals(Buffer.from(bytes))).toBe(true)
      }),
      { numRuns: 500 },
    )
  })
})
