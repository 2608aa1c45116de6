import { isIP } from 'node:net'

/**
 * A CIDR range in one 128-bit space: IPv6 as is, IPv4 as its IPv4-mapped IPv6 form
 * (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2), so `10.0.0.0/8` is `::ffff:10.0.0.0/104`. This makes
 * containment and intersection exact across both notations. Host bits are zero.
 */
export interface IpRange {
  readonly network: bigint
  /** 0–128; a single address has prefix 128. */
  readonly prefix: number
}

/** `::ffff:0:0/96`: all of IPv4. */
export const ALL_IPV4: IpRange = Object.freeze({ network: 0xffffn << 32n, prefix: 96 })

/**
 * The 32-bit value of a valid dotted-quad text (per `isIP`).
 *
 * @example
 * v4Number('10.0.0.1') // 167772161
 */
export function v4Number(text: string): number {
  let value = 0
  let octet = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 46) {
      value = (value << 8) | octet
      octet = 0
    } else octet = octet * 10 + c - 48
  }
  return ((value << 8) | octet) >>> 0
}

/**
 * The eight 16-bit groups of a valid IPv6 text (per `isIP`, without a zone); one pass, no regex.
 *
 * @example
 * v6Groups('2001:db8::1') // [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]
 */
export function v6Groups(text: string): number[] {
  const groups: number[] = []
  let gap = -1 // where `::` stands in `groups`
  let group = 0
  let digits = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x3a /* : */) {
      if (digits > 0) groups.push(group)
      else if (i > 0) gap = groups.length
      group = 0
      digits = 0
    } else if (c === 0x2e /* . */) {
      const v4 = v4Number(text.slice(text.lastIndexOf(':') + 1))
      groups.push(v4 >>> 16, v4 & 0xffff)
      digits = 0
      break
    } else {
      group = group * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57)
      digits++
    }
  }
  if (digits > 0) groups.push(group)
  if (gap >= 0) groups.splice(gap, 0, ...Array<number>(8 - groups.length).fill(0))
  return groups
}

/**
 * The eight 16-bit groups of a 128-bit value.
 *
 * @example
 * groupsOf(1n) // [0, 0, 0, 0, 0, 0, 0, 1]
 */
export function groupsOf(n: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn))
}

/**
 * Is the range all IPv4 (inside `::ffff:0:0/96`)?
 *
 * @example
 * isV4(parseRange('10.0.0.0/8')) // true
 */
export function isV4(range: IpRange): boolean {
  return range.prefix >= 96 && range.network >> 32n === 0xffffn
}

function v4Text(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 0xffn)).join('.')
}

/** RFC 5952 text: lowercase, longest run (≥ 2) of zero groups as `::`. */
function v6Text(n: bigint): string {
  const groups = groupsOf(n)
  let best = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) [best, bestLength] = [i, j - i]
    i = j === i ? i + 1 : j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`
}

/**
 * Parses `203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`; throws on anything else (zones,
 * prefixes too long, host bits set).
 *
 * @example
 * parseRange('10.0.0.0/8') // { network: 0xffff0a000000n, prefix: 104 }
 */
export function parseRange(text: string): IpRange {
  const [address = '', prefixText, extra] = text.split('/')
  const family = isIP(address)
  if (family === 0 || extra !== undefined || address.includes('%'))
    throw new Error('not an IP address or CIDR range')
  const bits = family === 4 ? 32 : 128
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) throw new Error('bad prefix length')
  const prefix = prefixText === undefined ? bits : Number(prefixText)
  if (prefix > bits) throw new Error('prefix length too long')
  const network =
    family === 4
      ? ALL_IPV4.network | BigInt(v4Number(address))
      : v6Groups(address).reduce((acc, group) => (acc << 16n) | BigInt(group), 0n)
  const range = { network, prefix: family === 4 ? prefix + 96 : prefix }
  if ((network & hostMask(range.prefix)) !== 0n) throw new Error('host bits set')
  return Object.freeze(range)
}

/**
 * `10.0.0.0/8`, or just the address for a single one; IPv4-mapped ranges print as IPv4.
 *
 * @example
 * formatRange(parseRange('::ffff:10.0.0.0/104')) // '10.0.0.0/8'
 */
export function formatRange(range: IpRange): string {
  const [address, prefix, family] = subnetOf(range)
  return prefix === (family === 'ipv4' ? 32 : 128) ? address : `${address}/${prefix}`
}

/**
 * The arguments for `BlockList.addSubnet`: address text, prefix length in its family, family.
 *
 * @example
 * new BlockList().addSubnet(...subnetOf(parseRange('2001:db8::/32')))
 */
export function subnetOf(range: IpRange): [address: string, prefix: number, family: 'ipv4' | 'ipv6'] {
  return isV4(range)
    ? [v4Text(range.network & 0xffffffffn), range.prefix - 96, 'ipv4']
    : [v6Text(range.network), range.prefix, 'ipv6']
}

/**
 * The low `128 - prefix` bits set.
 *
 * @example
 * hostMask(120) // 255n
 */
export function hostMask(prefix: number): bigint {
  return (1n << BigInt(128 - prefix)) - 1n
}

/**
 * Does `outer` contain every address of `inner`?
 *
 * @example
 * contains(parseRange('10.0.0.0/8'), parseRange('10.1.0.0/16')) // true
 */
export function contains(outer: IpRange, inner: IpRange): boolean {
  return outer.prefix <= inner.prefix && ((outer.network ^ inner.network) & ~hostMask(outer.prefix)) === 0n
}

/**
 * Drops ranges another range already covers (and duplicates), keeping first-seen order.
 *
 * @example
 * normalizeRanges(['10.1.0.0/16', '10.0.0.0/8'].map(parseRange)).map(formatRange) // ['10.0.0.0/8']
 */
export function normalizeRanges(ranges: Iterable<IpRange>): readonly IpRange[] {
  let kept: IpRange[] = []
  for (const range of ranges) {
    if (kept.some((k) => contains(k, range))) continue
    kept = kept.filter((k) => !contains(range, k))
    kept.push(range)
  }
  return Object.freeze(kept)
}

/**
 * The ranges admitting exactly the addresses both lists admit. Two CIDR ranges are nested or
 * disjoint, so each pair meets in the smaller one or not at all.
 *
 * @example
 * intersectRanges([parseRange('10.0.0.0/8')], [parseRange('10.1.0.0/16')]).map(formatRange) // ['10.1.0.0/16']
 */
export function intersectRanges(a: readonly IpRange[], b: readonly IpRange[]): readonly IpRange[] {
  return normalizeRanges(
    a.flatMap((x) => b.flatMap((y) => (contains(x, y) ? [y] : contains(y, x) ? [x] : []))),
  )
}
