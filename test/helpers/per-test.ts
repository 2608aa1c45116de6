import { afterEach, beforeEach } from 'vitest'

/** {@link perTest}'s handle: reads the current test's fixture, and can swap it. */
export type PerTest<T> = T & {
  /** Cleans up this test's fixture and puts `make()` in its place (cleaned up after the test). */
  restart(make: () => T): void
}

/**
 * A fresh fixture for every test of the file — `make()` before each, `cleanup()` after — behind
 * one handle that reads the current test's fixture.
 *
 * @example
 * const t = perTest(() => tempStore())
 * it('inserts', () => { t.store.users.insert(user) })
 */
export function perTest<T extends { cleanup(): void | Promise<void> }>(make: () => T): PerTest<T> {
  let current: T | undefined
  const now = (): T => {
    if (current === undefined) throw new Error('the fixture exists only while a test runs')
    return current
  }
  beforeEach(() => {
    current = make()
  })
  const pending: Promise<void>[] = []
  afterEach(async () => {
    await current?.cleanup()
    current = undefined
    await Promise.all(pending.splice(0))
  })
  const restart = (next: () => T): void => {
    pending.push(Promise.resolve(now().cleanup()))
    current = next()
  }
  return new Proxy({} as PerTest<T>, {
    get: (_target, prop) => (prop === 'restart' ? restart : Reflect.get(now(), prop)),
  })
}
