import { Buffer } from 'node:buffer'
import type { Macaroon } from '../../src/macaroon/index.js'

/**
 * Bytes as lowercase hex.
 *
 * @example
 * hex(m.signature) // '3f9a…'
 */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/**
 * A stable, comparable view of everything a macaroon carries (its signed content and locations;
 * the version aside).
 *
 * @example
 * expect(macaroonView(Macaroon.decode(m.encode('v2')))).toEqual(macaroonView(m))
 */
export function macaroonView(m: Macaroon): unknown {
  return {
    location: m.location,
    identifier: hex(m.identifier),
    caveats: m.caveats.map((c) => ({
      id: hex(c.identifier),
      vid: c.verificationId === undefined ? undefined : hex(c.verificationId),
      location: c.location,
    })),
    signature: hex(m.signature),
  }
}
