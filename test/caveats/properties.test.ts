import { BlockList } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ip, org } from '../../caveats/index.js'
import { formatRange, hostMask, parseRange, subnetOf } from '../../caveats/lib/ip-range.js'
import { context } from './context.js'

const numRuns = 1000
const orgName = fc.constantFrom('acme', 'beta', 'gamma', 'delta', 'Acme', 'a.b', 'x-1', 'z_9')
const orgList = fc.uniqueArray(orgName, { minLength: 1, maxLength: 5 })
const admits = (value: readonly string[], name: string) => org.check(value, context({ org: name })).ok

describe('attenuation never widens (org)', () => {
  it('intersect(A, B) admits x ⇔ A admits x and B admits x', () => {
    fc.assert(
      fc.property(orgList, orgList, orgName, (a, b, x) => {
        const A = org.parse(a.join(','))
        const B = org.parse(b.join(' , '))
        expect(admits(org.intersect(A, B), x)).toBe(admits(A, x) && admits(B, x))
      }),
      { numRuns },
    )
  })

  it('format then parse is the identity', () => {
    fc.assert(
      fc.property(orgList, (names) => {
        const value = org.parse(names.join(','))
        expect(org.parse(org.format(value))).toEqual(value)
      }),
      { numRuns },
    )
  })
})

/** Addresses drawn near a few anchors so ranges and clients overlap often. */
const v4 = fc
  .tuple(fc.constantFrom(10, 192, 203), fc.nat(3), fc.nat(255), fc.nat(255))
  .map((o) => o.join('.'))
const v6 = fc
  .tuple(fc.constantFrom('2001:db8', '2001:db9', 'fe80:0'), fc.nat(3), fc.nat(0xffff))
  .map(([head, x, y]) => `${head}:${x}::${y.toString(16)}`)
const range = fc.oneof(
  {
    arbitrary: fc.tuple(v4, fc.nat(32)).map(([address, prefix]) => ({ address, prefix, family: 4 })),
    weight: 5,
  },
  {
    arbitrary: fc.tuple(v6, fc.nat(128)).map(([address, prefix]) => ({ address, prefix, family: 6 })),
    weight: 4,
  },
  { arbitrary: fc.constant({ address: '::', prefix: 0, family: 6 }), weight: 1 },
)
/** A valid range text: the address with its host bits cleared. */
const rangeText = range.map(({ address, prefix, family }) => {
  const total = family === 4 ? 96 + prefix : prefix
  return formatRange({ network: parseRange(address).network & ~hostMask(total), prefix: total })
})
const rangeList = fc.array(rangeText, { minLength: 1, maxLength: 4 }).map((texts) => texts.join(','))
const client = fc.oneof(
  v4,
  v4.map((a) => `::ffff:${a}`),
  v6,
)

function blockListOf(text: string): BlockList {
  const list = new BlockList()
  for (const part of text.split(',')) list.addSubnet(...subnetOf(parseRange(part)))
  return list
}
const inBlockList = (list: BlockList, address: string) =>
  list.check(address, address.includes(':') ? 'ipv6' : 'ipv4')

describe('ip caveat against node:net BlockList', () => {
  it('check agrees with BlockList on random ranges and clients', () => {
    fc.assert(
      fc.property(rangeList, client, (text, address) => {
        const ok = ip.check(ip.parse(text), context({ ip: address })).ok
        expect(ok).toBe(inBlockList(blockListOf(text), address))
      }),
      { numRuns },
    )
  })

  it('intersect(A, B) admits x ⇔ A admits x and B admits x', () => {
    fc.assert(
      fc.property(rangeList, rangeList, client, (a, b, address) => {
        const A = ip.parse(a)
        const B = ip.parse(b)
        const at = context({ ip: address })
        expect(ip.check(ip.intersect(A, B), at).ok).toBe(ip.check(A, at).ok && ip.check(B, at).ok)
      }),
      { numRuns },
    )
  })

  it('format then parse is the identity', () => {
    fc.assert(
      fc.property(rangeList, (text) => {
        const value = ip.parse(text)
        expect(ip.parse(ip.format(value))).toEqual(value)
      }),
      { numRuns },
    )
  })
})
