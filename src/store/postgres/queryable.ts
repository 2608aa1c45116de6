import { createHash } from 'node:crypto'
import type pg from 'pg'

/** A pool or one checked-out connection: what the engine's statements run on. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>

/** A timestamptz as the store returns it: the canonical `Date#toISOString()` form. */
export function isoOf(value: Date): string
export function isoOf(value: Date | null): string | null
export function isoOf(value: Date | null): string | null {
  return value === null ? null : value.toISOString()
}

const names = new Map<string, string>()

/**
 * `text` as a named prepared statement: PostgreSQL parses and plans it once per connection instead
 * of on every call (node-pg keeps track of which connection prepared which name). The name is a
 * digest of the text, so the same SQL gets the same name wherever it is written. Only the store's
 * own fixed SQL comes here — never text built from input — so the map is bounded by the code.
 * Measured (bench/service-engines.ts, #17): fewer PostgreSQL CPU cycles per request.
 */
export function prepared(text: string, values: readonly unknown[] | undefined): pg.QueryConfig {
  let name = names.get(text)
  if (name === undefined) {
    name = `crumb_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`
    names.set(text, name)
  }
  return values === undefined ? { name, text } : { name, text, values: values as unknown[] }
}

/**
 * True when PostgreSQL refused a prepared statement whose result columns changed under it (a
 * migration altered the table while this instance ran): the statement is dead on that connection,
 * so the connection is dropped and the call made again on another one (fresh connections prepare
 * anew). Bounded by the pool size: each refusal removes one stale connection.
 */
export function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null
  return e?.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan')
}

/** How often a call is made again after {@link isStalePlan}: more than a pool's connections. */
export const STALE_PLAN_ATTEMPTS = 64
