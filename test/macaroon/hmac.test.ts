/**
 * The chain's HMAC is built from two one-shot hashes for speed; it must equal node's createHmac
 * for every key and message length, including keys over one block and messages that outgrow the
 * scratch buffer, and calls must not bleed into each other through that shared scratch. The
 * JavaScript SHA-256 HMAC the bench compares it with is held to the same. @see issue #21
 */
import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hmacJs } from '../../bench/hmac-options.js'
import {
  constantTimeEqual,
  digestBytes,
  hmac,
  hmac2,
  hmac2Digest,
  hmacDigest,
  hmacStep,
} from '../../src/macaroon/crypto.js'

const reference = (key: Uint8Array, data: Uint8Array): Buffer =>
  createHmac('sha256', key).update(data).digest()

describe('hmac', () => {
  it('equals createHmac for random keys (0–200 bytes) and data (0–1,000 bytes)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 1000 }), (key, data) => {
        expect(Buffer.from(hmac(key, data))).toEqual(reference(key, data))
      }),
      { numRuns: 2000 },
    )
  })

  it('equals createHmac at the block-size edges of key and data', () => {
    for (const keyLength of [0, 1, 31, 32, 33, 55, 56, 63, 64, 65, 119, 120, 128, 129, 200]) {
      for (const dataLength of [
        0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 121, 127, 128, 129, 255, 256, 257, 4096,
      ]) {
        const key = new Uint8Array(keyLength).map((_, i) => (i * 7 + 3) & 0xff)
        const data = new Uint8Array(dataLength).map((_, i) => (i * 13 + 5) & 0xff)
        expect(Buffer.from(hmac(key, data)), `key ${keyLength}, data ${dataLength}`).toEqual(
          reference(key, data),
        )
      }
    }
  })

  it('equals createHmac for views into larger buffers: offsets, shared and overlapping key and data', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (backing, a, b, c, d) => {
          const span = (x: number, y: number): Uint8Array => {
            const start = x % backing.length
            return backing.subarray(start, start + (y % (backing.length - start + 1)))
          }
          const key = span(a, b)
          const data = span(c, d) // may overlap the key: both views of one buffer
          expect(Buffer.from(hmac(key, data))).toEqual(reference(Uint8Array.from(key), Uint8Array.from(data)))
          // Buffer-pool slices (small Buffers share one ArrayBuffer at an offset) as well.
          expect(Buffer.from(hmac(Buffer.from(key), Buffer.from(data)))).toEqual(reference(key, data))
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('equals createHmac for every key length 0–140 and message length 0–140', () => {
    const key = new Uint8Array(140).map((_, i) => (i * 31 + 7) & 0xff)
    const data = new Uint8Array(140).map((_, i) => (i * 17 + 1) & 0xff)
    for (let k = 0; k <= 140; k++) {
      for (let d = 0; d <= 140; d++) {
        const expected = reference(key.subarray(0, k), data.subarray(0, d))
        if (!Buffer.from(hmac(key.subarray(0, k), data.subarray(0, d))).equals(expected))
          expect.fail(`key ${k}, data ${d}`)
      }
    }
  })

  it('a previous output used as both key and data', () => {
    let sig = hmac(new Uint8Array(32).fill(5), new TextEncoder().encode('id'))
    for (let i = 0; i < 5; i++) {
      const expected = reference(sig, sig)
      sig = hmac(sig, sig)
      expect(Buffer.from(sig)).toEqual(expected)
    }
  })

  it('returns a fresh array each call: a later call does not change an earlier result', () => {
    const first = hmac(new Uint8Array(32).fill(1), new TextEncoder().encode('a = 1'))
    const copy = Uint8Array.from(first)
    hmac(new Uint8Array(32).fill(2), new Uint8Array(5000).fill(9))
    expect(first).toEqual(copy)
  })

  it('hmac2 is HMAC(key, HMAC(key, a) ‖ HMAC(key, b))', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 100 }),
        (key, a, b) => {
          const expected = createHmac('sha256', key)
            .update(reference(key, a))
            .update(reference(key, b))
            .digest()
          expect(Buffer.from(hmac2(key, a, b))).toEqual(expected)
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('digest strings (the chain keeps its signatures as latin1 strings)', () => {
  it('hmacDigest, then hmacStep keyed by the previous digest, equal a createHmac chain', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 8 }),
        (key, messages) => {
          let expected = reference(key, messages[0]!)
          let digest = hmacDigest(key, messages[0]!)
          expect(digest).toHaveLength(32)
          expect(Buffer.from(digestBytes(digest))).toEqual(expected)
          for (const message of messages.slice(1)) {
            expected = reference(expected, message)
            digest = hmacStep(digest, message)
            expect(Buffer.from(digestBytes(digest))).toEqual(expected)
            expect(Buffer.from(digest, 'latin1')).toEqual(expected)
          }
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('hmacStep keyed by any string of byte-valued characters up to one block equals createHmac', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
          maxLength: 64,
        }),
        fc.uint8Array({ maxLength: 300 }),
        (key, data) => {
          expect(Buffer.from(digestBytes(hmacStep(key, data)))).toEqual(
            reference(Buffer.from(key, 'latin1'), data),
          )
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('hmac2Digest is hmac2 as a string', () => {
    const key = new Uint8Array(32).fill(3)
    const [a, b] = [new TextEncoder().encode('a'), new TextEncoder().encode('bb')]
    expect(Buffer.from(hmac2Digest(key, a, b), 'latin1')).toEqual(Buffer.from(hmac2(key, a, b)))
  })
})

describe("hmacJs (the bench's JavaScript SHA-256 HMAC)", () => {
  it('equals createHmac for random keys and data, and at every length up to 140', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 1000 }), (key, data) => {
        expect(Buffer.from(hmacJs(key, data))).toEqual(reference(key, data))
      }),
      { numRuns: 1000 },
    )
    const bytes = new Uint8Array(140).map((_, i) => (i * 29 + 3) & 0xff)
    for (let n = 0; n <= 140; n++) {
      if (
        !Buffer.from(hmacJs(bytes.subarray(0, n), bytes.subarray(n % 7, n))).equals(
          reference(bytes.subarray(0, n), bytes.subarray(n % 7, n)),
        )
      )
        expect.fail(`length ${n}`)
    }
  })
})

describe('constantTimeEqual (short operands are copied to off-heap scratch first)', () => {
  it('equals Buffer.equals for arrays and views of every length up to 100, called in any order', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.nat(3),
        (a, b, flip) => {
          const b2 = flip === 0 ? Uint8Array.from(a) : flip === 1 ? b : Buffer.from(a)
          const expected = Buffer.from(a).equals(Buffer.from(b2))
          expect(constantTimeEqual(a, b2)).toBe(expected)
          // A differing last byte, after an equal pair of the same length: nothing carries over.
          if (a.length > 0) {
            const c = Uint8Array.from(a)
            c[c.length - 1]! ^= 1
            expect(constantTimeEqual(a, c)).toBe(false)
            expect(constantTimeEqual(a.subarray(0, a.length - 1), c.subarray(0, c.length - 1))).toBe(true)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })
})
