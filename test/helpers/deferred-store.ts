import type { Store, Transaction } from '../../src/store/index.js'

type Methods = Record<string | symbol, (...args: unknown[]) => unknown>

const ENGINE = Symbol('the engine behind a deferred store')

/**
 * The engine's own store behind `store` (itself when it is not a {@link deferredStore}): what a
 * test spies on, since the deferred store looks each method up on it at every call.
 *
 * @example
 * const keyReads = vi.spyOn((await engineOf(t.store)).keys, 'getWithOwner')
 */
export async function engineOf(store: Store): Promise<Store> {
  const behind = (store as Store & { [ENGINE]?: Promise<Store> })[ENGINE]
  return behind === undefined ? store : behind
}

/**
 * A store usable at once whose engine opens asynchronously (PostgreSQL): every call waits for
 * `opening` first. Lets the synchronous `testService()` run the same suites on either engine.
 * Test-only: a real service opens its store before it serves. Any repository the port has (today's
 * and those added later) is forwarded: every repository method is async.
 *
 * @example
 * const store = deferredStore('postgres', openPostgresStore(url))
 * await store.users.get('usr_1') // waits for the pool and the migrations
 */
export function deferredStore(engine: string, opening: Promise<Store>): Store {
  // a failure surfaces at the first call, not as an unhandled rejection
  opening.catch(() => {})
  const repositories = new Map<string | symbol, unknown>()
  const repository = (name: string | symbol): unknown =>
    new Proxy(
      {},
      {
        get:
          (_target, method) =>
          async (...args: unknown[]) => {
            const repo = (await opening)[name as keyof Store] as unknown as Methods
            return repo[method]?.(...args)
          },
      },
    )
  const own: Pick<Store, 'engine' | 'transaction' | 'watchRevocations' | 'health' | 'close'> = {
    engine,
    transaction: async <T>(fn: (tx: Transaction) => Promise<T>): Promise<T> =>
      (await opening).transaction(fn),
    watchRevocations(onChange) {
      let stop: (() => void) | undefined
      let stopped = false
      opening.then(
        (store) => {
          if (!stopped) stop = store.watchRevocations(onChange)
        },
        () => {},
      )
      return () => {
        stopped = true
        stop?.()
      }
    },
    health: async () => (await opening).health(),
    close: async () => (await opening).close(),
  }
  return new Proxy(own as Store, {
    get(target, prop) {
      if (prop === ENGINE) return opening
      if (prop in target) return Reflect.get(target, prop)
      if (prop === 'then') return undefined // not a thenable
      let repo = repositories.get(prop)
      if (repo === undefined) {
        repo = repository(prop)
        repositories.set(prop, repo)
      }
      return repo
    },
  })
}
