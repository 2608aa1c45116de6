import { type NameList, nameListKind } from './lib/name-list.js'
import type { CaveatKind } from './types.js'

/** Value of `app = web,cli`: the apps a request may act for. */
export type AppValue = NameList

/**
 * `app = web,cli` — the request's app is one of the listed names
 * (`[A-Za-z0-9][A-Za-z0-9._-]{0,63}`). A request naming no app fails (`caveat_failed`);
 * one naming another app lacks scope (`insufficient_scope`).
 *
 * @example
 * const value = app.parse('web')
 * app.check(value, { app: 'cli', now: new Date(), leewayMs: 0 }).ok // false
 */
export const app: CaveatKind<AppValue> = nameListKind({
  name: 'app',
  dimension: 'app',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  mismatch: 'insufficient_scope',
})
