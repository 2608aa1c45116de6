/**
 * #17 faults, with real processes: PostgreSQL stopped under load then started (only 503
 * service_unavailable with Retry-After meanwhile, never a 500, no crash, service resumes, no
 * acknowledged write lost), and kill -9 of one of two instances under write load (every
 * acknowledged write is there). Its own PostgreSQL cluster: this file stops it.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describePostgres } from '../../helpers/postgres.js'
import { type PostgresCluster, startPostgresCluster } from '../../helpers/postgres-cluster.js'
import type { Running } from '../../verifier/e2e/processes.js'
import { build, call, startPostgresInstance, tempDataDir } from './helpers.js'

describePostgres('faults with PostgreSQL (#17)', () => {
  const running: Running[] = []
  let cluster: PostgresCluster
  let a: Running
  let b: Running
  let root: string

  beforeAll(async () => {
    build()
    cluster = await startPostgresCluster()
    const dirA = tempDataDir()
    a = await startPostgresInstance(cluster.url, dirA)
    running.push(a)
    b = await startPostgresInstance(cluster.url, tempDataDir(), join(dirA, 'keyring.json'))
    running.push(b)
    const res = await call(a.url, 'POST', '/v1/users', {
      body: { email: 'faults@example.com', password: 'correct horse battery staple' },
    })
    root = res.body.token as string
  }, 120_000)

  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()))
    await cluster?.destroy()
  })

  /** Creates keys through `via` one after another until `stop()`; returns the acknowledged ids and every status. */
  const writeLoad = (targets: () => Running[]) => {
    const acked: string[] = []
    const statuses: number[] = []
    let running = true
    let i = 0
    const loop = async (): Promise<void> => {
      while (running) {
        const via = targets()[i % targets().length]!
        i++
        try {
          const res = await call(via.url, 'POST', '/v1/tokens', { token: root, body: { name: `load ${i}` } })
          statuses.push(res.status)
          if (res.status === 201) acked.push((res.body.key as { id: string }).id)
          if (res.status === 503) expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
        } catch {
          statuses.push(0) // connection refused / reset: the process is gone; try the other one
        }
      }
    }
    const done = Promise.all([loop(), loop()])
    return {
      acked,
      statuses,
      async stop() {
        running = false
        await done
      },
    }
  }

  const listed = async (via: Running): Promise<Set<string>> => {
    const res = await call(via.url, 'GET', '/v1/tokens', { token: root })
    expect(res.status).toBe(200)
    return new Set((res.body.keys as { id: string }[]).map((k) => k.id))
  }

  it('PostgreSQL stopped under load, then started: only 503s meanwhile, no 500, the service resumes', async () => {
    const load = writeLoad(() => [a, b])
    await new Promise((r) => setTimeout(r, 500))
    await cluster.stop()
    await new Promise((r) => setTimeout(r, 1000))
    const health = await call(a.url, 'GET', '/healthz')
    expect(health.status).toBe(503)
    const down = await call(b.url, 'GET', '/v1/tokens', { token: root })
    expect(down.status).toBe(503)
    expect(down.body.code).toBe('service_unavailable')
    expect(down.headers.get('content-type')).toMatch(/application\/problem\+json/)
    expect(down.headers.get('retry-after')).toMatch(/^\d+$/)
    await cluster.start()
    const back = performance.now()
    while (
      (await call(a.url, 'GET', '/healthz')).status !== 200 ||
      (await call(b.url, 'GET', '/healthz')).status !== 200
    ) {
      if (performance.now() - back > 15_000) throw new Error('the service did not recover')
      await new Promise((r) => setTimeout(r, 100))
    }
    await new Promise((r) => setTimeout(r, 500))
    await load.stop()
    expect(a.child.exitCode).toBeNull()
    expect(b.child.exitCode).toBeNull()
    expect(load.statuses).toContain(503)
    expect(load.statuses.filter((s) => s !== 201 && s !== 503)).toEqual([])
    expect(load.statuses.at(-1)).toBe(201)
    const present = await listed(b)
    expect(load.acked.filter((id) => !present.has(id))).toEqual([])
  }, 60_000)

  it('kill -9 of one instance under write load: every acknowledged write is there', async () => {
    let alive = [a, b]
    const load = writeLoad(() => alive)
    await new Promise((r) => setTimeout(r, 800))
    a.child.kill('SIGKILL')
    alive = [b]
    await new Promise((r) => setTimeout(r, 800))
    await load.stop()
    expect(load.statuses.filter((s) => s !== 201 && s !== 0)).toEqual([])
    expect(load.acked.length).toBeGreaterThan(5)
    const present = await listed(b)
    expect(load.acked.filter((id) => !present.has(id))).toEqual([])
  }, 60_000)
})
