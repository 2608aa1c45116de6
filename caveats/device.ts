import { type NameList, nameListKind } from './lib/name-list.js'
import type { CaveatKind } from './types.js'

/** Value of `device = laptop-7`: the devices a request may come from (usually one). */
export type DeviceValue = NameList

/**
 * `device = laptop-7` — the request declares that device (`Crumb-Device`). Names are hostnames
 * (`[A-Za-z0-9][A-Za-z0-9._ -]{0,127}`, trimmed, compared exactly); a comma list admits any of
 * them. A missing or different device fails with `caveat_failed`. Two device caveats naming
 * different devices intersect to the empty list, which admits nothing.
 *
 * @example
 * device.check(device.parse('laptop-7'), { device: 'ci-runner', now: new Date(), leewayMs: 0 })
 * // { ok: false, code: 'caveat_failed', ... }
 */
export const device: CaveatKind<DeviceValue> = nameListKind({
  name: 'device',
  dimension: 'device',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._ -]{0,127}$/,
  mismatch: 'caveat_failed',
})
