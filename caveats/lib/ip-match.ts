import { isIP } from 'node:net'
import { ALL_IPV4, contains, groupsOf, type IpRange, isV4, v4Number, v6Groups } from './ip-range.js'

/** Tells whether an address text is in the ranges; undefined if it is not an IP address. */
export type IpMatcher = (address: string) => boolean | undefined

/** The prefix's mask over each 16-bit group. */
function groupMasks(prefix: number): number[] {
  return Array.from({ length: 8 }, (_, i) => {
    const bits = Math.min(16, Math.max(0, prefix - 16 * i))
    return (0xffff << (16 - bits)) & 0xffff
  })
}

/**
 * Compiles ranges into a matcher using plain numbers: IPv4 (and IPv4-mapped IPv6 clients such as
 * `::ffff:10.1.2.3`) as 32-bit values, IPv6 as eight 16-bit groups. It gives the answers of
 * `net.BlockList` without building a native address object per call (~2 µs each).
 *
 * @example
 * const inRanges = compileIpMatcher([parseRange('10.0.0.0/8')])
 * inRanges('::ffff:10.1.2.3') // true
 */
export function compileIpMatcher(ranges: readonly IpRange[]): IpMatcher {
  const v4: [network: number, mask: number][] = []
  const v6: [network: number[], masks: number[]][] = []
  for (const range of ranges) {
    if (contains(range, ALL_IPV4)) v4.push([0, 0])
    else if (isV4(range)) {
      const bits = range.prefix - 96
      v4.push([Number(range.network & 0xffffffffn), bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0])
    }
    if (!isV4(range)) v6.push([groupsOf(range.network), groupMasks(range.prefix)])
  }
  const inV4 = (n: number): boolean => v4.some(([network, mask]) => (n & mask) >>> 0 === network)
  return (address) => {
    const family = isIP(address)
    if (family === 4) return inV4(v4Number(address))
    if (family === 0) return undefined
    const zone = address.indexOf('%')
    const g = v6Groups(zone < 0 ? address : address.slice(0, zone))
    if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
      return inV4((((g[6] ?? 0) << 16) | (g[7] ?? 0)) >>> 0)
    }
    return v6.some(([network, masks]) => network.every((net, i) => ((g[i] ?? 0) & (masks[i] ?? 0)) === net))
  }
}
