/**
 * A port interface with its promises taken off: what the better-sqlite3 repositories implement
 * (statements run synchronously on one connection; `store.ts` hands them out as the async port).
 */
export type Sync<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never
}

/**
 * The async port over a synchronous repository: every method returns a promise (a throw becomes a
 * rejection). `guard` runs before each call (a transaction's repositories refuse to run once it ended).
 *
 * @example
 * const users: UsersPort = asyncRepo(createUsersRepo(db))
 */
export function asyncRepo<T extends object>(repo: Sync<T>, guard?: () => void): T {
  const out: Record<string, unknown> = {}
  for (const [name, fn] of Object.entries(repo) as [string, (...args: unknown[]) => unknown][]) {
    out[name] = guard
      ? (...args: unknown[]): Promise<unknown> => {
          try {
            guard()
            return Promise.resolve(fn(...args))
          } catch (e) {
            return Promise.reject(e)
          }
        }
      : (...args: unknown[]): Promise<unknown> => {
          try {
            return Promise.resolve(fn(...args))
          } catch (e) {
            return Promise.reject(e)
          }
        }
  }
  return out as T
}
