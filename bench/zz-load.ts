import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import pg from 'pg'
import { startPostgresCluster } from '../test/helpers/postgres-cluster.js'
import { SERVER_MAIN, startProcess } from '../test/verifier/e2e/processes.js'
import { json } from './http.js'
import { BENCH_SERVICE_ENV } from './lib/service-process.js'
const engine = process.argv[2] ?? 'pg'
const env: Record<string, string> = { ...BENCH_SERVICE_ENV, ...(process.env.ZZ_PROF ? { ZZ_REAL_MAIN: process.env.ZZ_MAIN ?? SERVER_MAIN } : {}), CRUMB_DATA_DIR: mkdtempSync(join(tmpdir(), 'x-')) }
let cluster: Awaited<ReturnType<typeof startPostgresCluster>> | undefined
if (engine === 'pg') {
  cluster = await startPostgresCluster()
  const admin = new pg.Client({ connectionString: cluster.url })
  await admin.connect()
  await admin.query('CREATE DATABASE crumb_bench')
  await admin.end()
  env.CRUMB_DATABASE_URL = process.env.ZZ_SOCKET ? `postgres://postgres@localhost/crumb_bench?host=${cluster.dir}&port=${cluster.port}` : cluster.url.replace(/\/postgres$/, '/crumb_bench')
}
const s = await startProcess(process.env.ZZ_PROF ? '/tmp/prof/profmain.mjs' : (process.env.ZZ_MAIN ?? SERVER_MAIN), env)
const ticks = (pid: number): number => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return Number(f[11]) + Number(f[12])
  } catch {
    return 0
  }
}
const pgPids = (): number[] => {
  if (!cluster) return []
  const pm = Number(readFileSync(join(cluster.dir, 'data/postmaster.pid'), 'utf8').split('\n')[0])
  const out = [pm]
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')
      if (Number(f[1]) === pm) out.push(Number(d))
    } catch {}
  }
  return out
}
const cpu = (): { node: number; db: number } => ({ node: ticks(s.child.pid!), db: pgPids().reduce((a, p) => a + ticks(p), 0) })
const users = await Promise.all(Array.from({ length: 16 }, (_, i) => json<{ token: string }>(`${s.url}/v1/users`, { method: 'POST', body: JSON.stringify({ email: `a${i}@example.com`, password: 'correct horse battery staple' }) })))
let u = 0
const minted: string[] = []
const report = (what: string, n: number, t0: number, t1: number, c0: { node: number; db: number }, c1: { node: number; db: number }) =>
  console.log(`${engine} ${what}: ${Math.round(n / ((t1 - t0) / 1000))}/s  cpu ms/req node ${((c1.node - c0.node) * 10 / n).toFixed(2)} db ${((c1.db - c0.db) * 10 / n).toFixed(2)}`)
let c0 = cpu(); let t0 = performance.now(); let tl = t0
await autocannon({ url: s.url, connections: 16, duration: 4, requests: [{ method: 'POST', path: '/v1/tokens', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'k' }),
  setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${users[u++ % 16]!.token}` } }),
  onResponse: (st: number, body: string) => { if (st === 201) { minted.push(JSON.parse(body).token); tl = performance.now() } } }] })
report('creations', minted.length, t0, tl, c0, cpu())
let k = 0; let ok = 0
c0 = cpu(); t0 = performance.now(); tl = t0
await autocannon({ url: s.url, connections: 16, amount: minted.length, requests: [{ method: 'POST', path: '/v1/revocations', headers: { 'content-type': 'application/json' },
  setupRequest: (req) => ({ ...req, body: JSON.stringify({ token: minted[k++] }) }), onResponse: (st: number) => { if (st === 200) { ok++; tl = performance.now() } } }] })
const c1 = cpu()
report('revocations', ok, t0, tl, c0, c1)
await s.stop()
await cluster?.destroy()
