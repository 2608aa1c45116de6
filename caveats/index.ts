export { type AppValue, app } from './app.js'
export { type AudValue, aud } from './aud.js'
export { type BuiltinCaveatValues, builtinCaveatKinds } from './builtins.js'
export { type DeviceValue, device } from './device.js'
export { CaveatParseError, type CaveatParseProblem } from './errors.js'
export { type ExpiresValue, expires } from './expires.js'
export { type IpValue, ip } from './ip.js'
export { audienceSchema, canonicalAudience, MAX_AUDIENCE_LENGTH } from './lib/audience.js'
export type { IpRange } from './lib/ip-range.js'
export type { NameList } from './lib/name-list.js'
export { type NotBeforeValue, notBefore } from './not-before.js'
export { type OpsValue, ops } from './ops.js'
export { type OrgValue, org } from './org.js'
export {
  CaveatRegistry,
  type CaveatRegistryOptions,
  createDefaultRegistry,
  defaultRegistry,
  MAX_CAVEAT_LENGTH,
} from './registry.js'
export { type EffectiveScope, effectiveScope } from './scope.js'
export type { CaveatKind, CheckResult, Dimension, ParsedCaveat, RequestContext } from './types.js'
