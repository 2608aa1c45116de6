import { type AppValue, app } from './app.js'
import { type AudValue, aud } from './aud.js'
import { type DeviceValue, device } from './device.js'
import { type ExpiresValue, expires } from './expires.js'
import { type IpValue, ip } from './ip.js'
import { type NotBeforeValue, notBefore } from './not-before.js'
import { type OpsValue, ops } from './ops.js'
import { type OrgValue, org } from './org.js'
import type { CaveatKind } from './types.js'

/** Value type of each built-in caveat kind, by name. */
export interface BuiltinCaveatValues {
  org: OrgValue
  app: AppValue
  ops: OpsValue
  expires: ExpiresValue
  'not-before': NotBeforeValue
  device: DeviceValue
  ip: IpValue
  aud: AudValue
}

/**
 * The eight caveat kinds of DESIGN.md, in its order.
 *
 * @example
 * builtinCaveatKinds.map((kind) => kind.name) // ['org', 'app', 'ops', 'expires', 'not-before', 'device', 'ip', 'aud']
 */
export const builtinCaveatKinds: readonly CaveatKind<unknown>[] = Object.freeze([
  org,
  app,
  ops,
  expires,
  notBefore,
  device,
  ip,
  aud,
])
