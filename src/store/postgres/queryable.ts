import type pg from 'pg'

/** A pool or one checked-out connection: what the engine's statements run on. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>

/** A timestamptz as the store returns it: the canonical `Date#toISOString()` form. */
export function isoOf(value: Date): string
export function isoOf(value: Date | null): string | null
export function isoOf(value: Date | null): string | null {
  return value === null ? null : value.toISOString()
}
