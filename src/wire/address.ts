/** `::ffff:a.b.c.d`, the form a dual-stack socket gives an IPv4 client. */
const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

/**
 * A client address as caveats and "last used" see it: IPv4-mapped IPv6 (`::ffff:127.0.0.1`)
 * becomes plain IPv4; anything else is kept as it is; empty becomes undefined.
 *
 * @example
 * normalizeIp('::ffff:10.1.2.3') // '10.1.2.3'
 * normalizeIp('2001:db8::1')     // '2001:db8::1'
 */
export function normalizeIp(address: string | undefined): string | undefined {
  if (address === undefined || address === '') return undefined
  // Only a mapped address (it starts with `::`) needs the pattern; plain IPv4 and IPv6 are kept as they are.
  if (address.charCodeAt(0) !== 58 /* : */) return address
  return MAPPED_IPV4.exec(address)?.[1] ?? address
}
