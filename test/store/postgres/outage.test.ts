// #17 item 5: database down — calls fail as "unavailable" (the service answers 503), nothing
// crashes (idle connections dying must not raise unhandled errors), and the store recovers by
// itself, the listening connection included, when PostgreSQL is back.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ServiceUnavailable } from '../../../src/errors.js'
import type { Store } from '../../../src/store/port.js'
import { openPostgresStore } from '../../../src/store/postgres/index.js'
import { describePostgres } from '../../helpers/postgres.js'
import { type PostgresCluster, startPostgresCluster } from '../../helpers/postgres-cluster.js'

const NOW = '2026-06-01T00:00:00.000Z'

describePostgres('PostgreSQL outage (#17)', () => {
  let cluster: PostgresCluster
  let store: Store

  beforeAll(async () => {
    // a cluster of its own: this file stops it
    cluster = await startPostgresCluster()
    store = await openPostgresStore(cluster.url, { connectionTimeoutMs: 500 })
  })
  afterAll(async () => {
    await store?.close()
    await cluster?.destroy()
  })

  it('reports unavailable while PostgreSQL is down and recovers by itself when it is back', async () => {
    await store.users.insert({ id: 'usr_out1', email: 'out1@example.com', passwordHash: 'x', createdAt: NOW })
    let relistened = 0
    store.watchRevocations(() => {
      relistened++
    })
    expect(await store.health()).toBe(true)

    await cluster.stop()
    // counted while the database is down: the listener may re-listen while `start` is still waiting
    const before = relistened
    expect(await store.health()).toBe(false)
    await expect(store.users.get('usr_out1')).rejects.toBeInstanceOf(ServiceUnavailable)
    await expect(
      store.transaction((tx) =>
        tx.users.insert({ id: 'usr_out2', email: 'out2@example.com', passwordHash: 'x', createdAt: NOW }),
      ),
    ).rejects.toBeInstanceOf(ServiceUnavailable)

    await cluster.start()
    for (let i = 0; i < 100 && !(await store.health()); i++) await new Promise((r) => setTimeout(r, 100))
    expect(await store.health()).toBe(true)
    expect((await store.users.get('usr_out1'))?.email).toBe('out1@example.com')
    // the listener re-listens and tells watchers to re-read what they may have missed
    for (let i = 0; i < 100 && relistened === before; i++) await new Promise((r) => setTimeout(r, 50))
    expect(relistened).toBeGreaterThan(before)
  })
})
