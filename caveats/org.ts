import { type NameList, nameListKind } from './lib/name-list.js'
import type { CaveatKind } from './types.js'

/** Value of `org = acme,beta`: the orgs a request may act in. */
export type OrgValue = NameList

/**
 * `org = acme,beta` — the request's org is one of the listed names
 * (`[A-Za-z0-9][A-Za-z0-9._-]{0,63}`). A request naming no org fails (`caveat_failed`);
 * one naming another org lacks scope (`insufficient_scope`).
 *
 * @example
 * const value = org.parse('acme, beta') // ['acme', 'beta']
 * org.check(value, { org: 'acme', now: new Date(), leewayMs: 0 }) // { ok: true }
 */
export const org: CaveatKind<OrgValue> = nameListKind({
  name: 'org',
  dimension: 'org',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  mismatch: 'insufficient_scope',
})
