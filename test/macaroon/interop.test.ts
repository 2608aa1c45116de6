/**
 * What pymacaroons 0.13, go-macaroon v2 and libmacaroons 0.3 emit, byte for byte, for a macaroon with
 * empty ids and locations (test/macaroon/interop/captured.json; the programs that produced it sit
 * beside it, and interop-libraries.test.ts runs them live where the libraries are installed).
 */
import { Buffer } from 'node:buffer'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fromBase64Lenient } from '../../src/macaroon/bytes.js'
import { Macaroon } from '../../src/macaroon/index.js'
import { macaroonView } from '../helpers/macaroon-view.js'
import { crumbReadsMint, expectCrumbVerifies, type MintOutput } from './interop/scenario.js'

const captured = JSON.parse(
  readFileSync(new URL('./interop/captured.json', import.meta.url), 'utf8'),
) as Record<'pymacaroons' | 'go-macaroon' | 'libmacaroons', MintOutput>

const bytesOf = (b64: string): Buffer => Buffer.from(fromBase64Lenient(b64) ?? new Uint8Array())

describe('go-macaroon v2 output', () => {
  const go = captured['go-macaroon']
  it('V2 JSON without "i" (empty macaroon and caveat ids) is read as empty ids — #18 item 14', () => {
    expect(go['json-v2']![1]).toBe('{"s64":"MouBP22u573bGsWYoIb39BOctVG8Ji8aFZpBk1J4dmY"}')
    const ms = crumbReadsMint(go['json-v2']!)
    expectCrumbVerifies(ms)
    expect(macaroonView(ms[0]!)).toEqual(macaroonView(Macaroon.decode(go.v2![0]!)))
  })
  it('V1 JSON and both binary forms verify', () => {
    for (const format of ['json-v1', 'v1', 'v2'] as const) expectCrumbVerifies(crumbReadsMint(go[format]!))
  })
  it('V1 binary re-encodes byte for byte, with the empty "cl" packet after "vid" — #18 item 13', () => {
    for (const text of go.v1!) expect(Buffer.from(Macaroon.decode(text).encode('v1'))).toEqual(bytesOf(text))
    expect(bytesOf(go.v1![0]!).includes('0008cl \n')).toBe(true)
  })
  it('V2 binary re-encodes byte for byte', () => {
    for (const text of go.v2!) expect(Buffer.from(Macaroon.decode(text).encode('v2'))).toEqual(bytesOf(text))
  })
})

describe('pymacaroons 0.13 output', () => {
  const py = captured.pymacaroons
  it('V1 JSON caveats without "cid" and V2 JSON caveats without "i" are read as empty ids — #18 item 14', () => {
    for (const format of ['json-v1', 'json-v2'] as const) {
      expect(py[format]![0]).toMatch(/"c(aveats)?": \[\{\}, /)
      expectCrumbVerifies(crumbReadsMint(py[format]!))
    }
  })
  it('V2 binary verifies (pymacaroons writes empty location fields, crumb leaves them out)', () => {
    expectCrumbVerifies(crumbReadsMint(py.v2!))
  })
  it("V1 binary: pymacaroons drops a caveat's vid when its location is empty, so crumb (as pymacaroons) refuses it", () => {
    expect(() =>
      crumbReadsMint(py.v1!)[0]!.verify('root-key', () => true, crumbReadsMint(py.v1!).slice(1)),
    ).toThrow()
  })
})

describe('libmacaroons 0.3 output', () => {
  const c = captured.libmacaroons
  it('V1 binary verifies and re-encodes byte for byte, "cl" included for an empty location — #18 item 13', () => {
    expectCrumbVerifies(crumbReadsMint(c.v1!))
    for (const text of c.v1!) expect(Buffer.from(Macaroon.decode(text).encode('v1'))).toEqual(bytesOf(text))
  })
})
