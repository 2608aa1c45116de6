/**
 * crumb's HMAC-SHA256 (src/macaroon/crypto.ts) and the JavaScript SHA-256 the bench compares it
 * with (bench/hmac-options.ts) against published vectors: NIST's SHA-256 examples (FIPS 180-4,
 * CAVP short messages) and RFC 4231's HMAC-SHA256 test cases, keys longer than a block included.
 * @see issue #21
 */
import { describe, expect, it } from 'vitest'
import { hmacJs, sha256Js } from '../../bench/hmac-options.js'
import { hmac } from '../../src/macaroon/crypto.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))
const repeat = (byte: number, n: number): Uint8Array => new Uint8Array(n).fill(byte)

describe('SHA-256, NIST examples (the JavaScript SHA-256)', () => {
  it.each([
    ['empty', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['"abc"', text('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      '448 bits',
      text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    [
      '896 bits',
      text(
        'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      ),
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    ],
    ['CAVP, 1 byte', bytes('d3'), '28969cdfa74a12c82f3bad960b0b000aca2ac329deea5c2328ebc6f2ba9802c1'],
    [
      'CAVP, 8 bytes',
      bytes('5738c929c4f4ccb6'),
      '963bb88f27f512777aab6c8b1a02c70ec0ad651d428f870036e1917120fb48bf',
    ],
    [
      'a × 1,000,000',
      repeat(0x61, 1_000_000),
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    ],
  ])('%s', (_name, message, digest) => {
    expect(hex(sha256Js(message))).toBe(digest)
  })
})

describe('HMAC-SHA256, RFC 4231', () => {
  const cases: [number, Uint8Array, Uint8Array, string][] = [
    [
      1,
      repeat(0x0b, 20),
      text('Hi There'),
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    ],
    [
      2,
      text('Jefe'),
      text('what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    [
      3,
      repeat(0xaa, 20),
      repeat(0xdd, 50),
      '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    ],
    [
      4,
      bytes('0102030405060708090a0b0c0d0e0f10111213141516171819'),
      repeat(0xcd, 50),
      '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    ],
    // Case 5 publishes only the first 128 bits.
    [5, repeat(0x0c, 20), text('Test With Truncation'), 'a3b6167473100ee06e0c796c2955552b'],
    [
      6,
      repeat(0xaa, 131),
      text('Test Using Larger Than Block-Size Key - Hash Key First'),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      7,
      repeat(0xaa, 131),
      text(
        'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      ),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ]
  it.each(cases)('test case %i', (_n, key, data, mac) => {
    expect(hex(hmac(key, data)).slice(0, mac.length)).toBe(mac)
    expect(hex(hmacJs(key, data)).slice(0, mac.length)).toBe(mac)
  })
})
