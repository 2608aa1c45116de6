import { type NameList, nameListKind } from './lib/name-list.js'
import type { CaveatKind } from './types.js'

/** Value of `ops = read,write`: the operations a request may perform. */
export type OpsValue = NameList

/**
 * `ops = read,write,deploy` — the request's operation is one of the listed names
 * (`[a-z][a-z0-9_-]{0,31}`; services define their own besides read, write, deploy).
 * `ops = read` is read-only. A request naming no op fails (`caveat_failed`); another op lacks
 * scope (`insufficient_scope`).
 *
 * @example
 * ops.intersect(ops.parse('read,write'), ops.parse('read')) // ['read']
 */
export const ops: CaveatKind<OpsValue> = nameListKind({
  name: 'ops',
  dimension: 'op',
  pattern: /^[a-z][a-z0-9_-]{0,31}$/,
  mismatch: 'insufficient_scope',
})
