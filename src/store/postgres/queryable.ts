import { createHash } from 'node:crypto'
import type pg from 'pg'
import { asUnavailable } from './unavailable.js'

/** What the engine's statements run on: the pool (one statement each) or one transaction. */
export interface Queryable {
  /** Runs a statement and resolves with its result. */
  query: pg.Pool['query']
  /**
   * Runs a statement whose result the caller does not read. In a transaction it resolves once the
   * statement is sent: it still runs before every later statement, and its failure fails the
   * transaction (see `StatementPipeline`). On the pool it resolves when the statement is done.
   */
  write(text: string, values?: readonly unknown[]): Promise<void>
}

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

/**
 * The pool as a {@link Queryable}: each statement on a free connection, prepared; one refused as
 * {@link isStalePlan} runs again (pg-pool has dropped that connection); connection failures become
 * `ServiceUnavailable`.
 *
 * @example
 * const keys = postgresKeys(poolQueryable(pool))
 */
export function poolQueryable(pool: pg.Pool): Queryable {
  const query = (async (text: string, values?: unknown[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await pool.query(prepared(text, values))
      } catch (err) {
        if (isStalePlan(err) && attempt < STALE_PLAN_ATTEMPTS) continue
        throw asUnavailable(err)
      }
    }
  }) as Queryable['query']
  return {
    query,
    write: async (text, values) => {
      await query(text, values as unknown[] | undefined)
    },
  }
}
