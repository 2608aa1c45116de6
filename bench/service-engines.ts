/**
 * The token service on both storage engines, side by side in one run (#17), each against real
 * server processes on 127.0.0.1:
 * - SQLite: one instance (the embedded default);
 * - PostgreSQL 15: the writes through one instance (like for like with SQLite's one), then every
 *   phase through two instances on the same database, load spread over both (a throwaway cluster
 *   from Debian's packages, or `CRUMB_BENCH_DATABASE_URL`).
 * Phases: key creations/s, revocations/s (keys, by possession), feed reads/s, and propagation of
 * revocations to 100 long-polling verifiers (PostgreSQL: 50 on each instance, every revocation
 * sent through the first, so half the deliveries cross instances through LISTEN/NOTIFY). The
 * verifiers are node:http keep-alive clients in this process, each on its own connection; every
 * one must receive every revocation, timed from before its POST leaves.
 * Targets: cross-instance p99 ≤ 100 ms; PostgreSQL write throughput ≥ 0.5× SQLite's (printed for
 * one instance and for two: on two cores, two instances, the database and the load generator
 * share the CPUs).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import pg from 'pg'
import { type PostgresCluster, startPostgresCluster } from '../test/helpers/postgres-cluster.js'
import { type Running, SERVER_MAIN, startProcess } from '../test/verifier/e2e/processes.js'
import { json } from './http.js'
import { measurePropagation } from './lib/propagation.js'
import { BENCH_SERVICE_ENV, percentile, revocationRequest } from './lib/service-process.js'

const DURATION_S = Number(process.env.BENCH_DURATION ?? 3)
// writes: WRITE_ROUNDS turns of WRITE_BURST_S seconds per configuration
const WRITE_ROUNDS = 4
const WRITE_BURST_S = Math.max(1, Math.round(DURATION_S / 2))
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16)
const VERIFIERS = 100
const REVOCATIONS = Number(process.env.BENCH_REVOCATIONS ?? 100)
const TARGET_CROSS_P99_MS = 100
// PostgreSQL flushes every commit, as SQLite (synchronous = FULL) does; BENCH_PG_FSYNC=off runs it
// with the test suites' settings instead (no flush at all: not a like-for-like comparison)
const DURABLE = process.env.BENCH_PG_FSYNC !== 'off'

const dirs: string[] = []
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'crumb-bench-engines-'))
  dirs.push(d)
  return d
}
process.once('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function start(env: Record<string, string>): Promise<Running> {
  return startProcess(SERVER_MAIN, { ...BENCH_SERVICE_ENV, ...env })
}

/**
 * autocannon over several instances at once (one run per instance, connections split): the 2xx
 * answers and the seconds they took. The time is ours, from the start to the last answer: autocannon ends a run of
 * `amount` requests only at its next whole-second tick, so its own `duration` would count up to a
 * second of idling (and quantize every amount-bounded rate).
 */
async function cannon(urls: readonly string[], opts: (url: string) => autocannon.Options): Promise<Tally> {
  const started = performance.now()
  let lastAnswer = started
  const timed = (o: autocannon.Options): autocannon.Options => ({
    ...o,
    requests: (o.requests ?? []).map((r) => ({
      ...r,
      onResponse: (
        status: number,
        body: string,
        context: object,
        headers: IncomingHttpHeaders | undefined,
      ) => {
        lastAnswer = performance.now()
        if (typeof r.onResponse === 'function') r.onResponse(status, body, context, headers)
      },
    })),
  })
  const runs = await Promise.all(
    urls.map((url) =>
      autocannon({ connections: Math.max(1, Math.floor(CONNECTIONS / urls.length)), ...timed(opts(url)) }),
    ),
  )
  return { answers: runs.reduce((sum, r) => sum + r['2xx'], 0), seconds: (lastAnswer - started) / 1000 }
}

/** 2xx answers over the time they took, possibly summed over several runs. */
interface Tally {
  answers: number
  seconds: number
}

const perSecond = (tallies: readonly Tally[]): number =>
  tallies.reduce((n, t) => n + t.answers, 0) / tallies.reduce((n, t) => n + t.seconds, 0)

interface FeedResult {
  feedReads: number
  sameP50: number
  sameP99: number
  crossP50: number
  crossP99: number
}

/** One configuration whose writes are measured: where its requests go, its users, its keys. */
interface WriteTarget {
  readonly urls: readonly string[]
  readonly users: readonly { token: string }[]
  readonly minted: string[]
  revokedUpTo: number
  readonly creations: Tally[]
  readonly revocations: Tally[]
}

/**
 * Registers the users whose keys a target creates: many users, one per connection, as a service's
 * writes come: a user's own creations are serialised (the creation limit is checked and counted
 * under the user's lock, on both engines), so a single user would measure one user's lock.
 */
async function writeTarget(urls: readonly string[], emailPrefix: string): Promise<WriteTarget> {
  const users = await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, i) =>
      json<{ token: string }>(`${urls[0]}/v1/users`, {
        method: 'POST',
        body: JSON.stringify({
          email: `${emailPrefix}${i}@example.com`,
          password: 'correct horse battery staple',
        }),
      }),
    ),
  )
  return { urls, users, minted: [], revokedUpTo: 0, creations: [], revocations: [] }
}

/**
 * Key creations, then revocations of the keys created, for every target, in short bursts taking
 * turns (A B C A B C …): the machine's speed drifts over a run (it is shared), and turns give every
 * target the same share of each stretch, where whole phases one after the other would not.
 */
async function measureWrites(targets: readonly WriteTarget[]): Promise<void> {
  for (let round = 0; round < WRITE_ROUNDS; round++) {
    for (const t of targets) {
      let u = 0
      t.creations.push(
        await cannon(t.urls, (url) => ({
          url,
          duration: WRITE_BURST_S,
          requests: [
            {
              method: 'POST',
              path: '/v1/tokens',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ name: 'bench key' }),
              setupRequest: (req) => ({
                ...req,
                headers: { ...req.headers, authorization: `Bearer ${t.users[u++ % t.users.length]!.token}` },
              }),
              onResponse: (status: number, body: string) => {
                if (status === 201) t.minted.push((JSON.parse(body) as { token: string }).token)
              },
            },
          ],
        })),
      )
    }
  }
  for (let round = 0; round < WRITE_ROUNDS; round++) {
    for (const t of targets) {
      // every key revoked once, a round's share each turn; autocannon wants a request per connection
      const share = Math.floor(t.minted.length / WRITE_ROUNDS)
      const perUrl = Math.max(Math.floor(share / t.urls.length), Math.floor(CONNECTIONS / t.urls.length))
      t.revocations.push(
        await cannon(t.urls, (url) => ({
          url,
          amount: perUrl,
          requests: [revocationRequest(() => t.minted[t.revokedUpTo++ % t.minted.length]!)],
        })),
      )
    }
  }
}

/** Feed reads/s and propagation to {@link VERIFIERS} long-polls split over `urls`, as `token`'s user. */
async function measureFeed(urls: readonly string[], token: string): Promise<FeedResult> {
  const first = urls[0]!
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }

  const { cursor } = await json<{ cursor: string }>(`${first}/v1/revocations`, { token })
  const feedReads = await cannon(urls, (url) => ({
    url,
    duration: DURATION_S,
    requests: [{ method: 'GET', path: `/v1/revocations?since=${cursor}`, headers: auth }],
  }))

  // propagation: VERIFIERS long-polls split over the instances; revocations go through the first
  const same: number[] = []
  const cross: number[] = []
  const { retried } = await measurePropagation({
    revokeUrl: first,
    token,
    readers: Array.from({ length: VERIFIERS }, (_, i) => {
      const url = urls[i % urls.length]!
      return { url, longPoll: true, delays: url === first ? same : cross }
    }),
    revocations: REVOCATIONS,
    warmupMs: 1000,
    gapMs: [5, 15],
  })
  if (retried > 0) console.warn(`feed reads answered 503 or reset, and retried: ${retried}`)
  return {
    feedReads: perSecond([feedReads]),
    sameP50: percentile(same, 50),
    sameP99: percentile(same, 99),
    crossP50: percentile(cross, 50),
    crossP99: percentile(cross, 99),
  }
}

async function postgresUrl(): Promise<{ url: string; cluster?: PostgresCluster }> {
  const given = process.env.CRUMB_BENCH_DATABASE_URL
  if (given !== undefined && given !== '') return { url: given }
  const cluster = await startPostgresCluster(process.env, { durable: DURABLE })
  const admin = new pg.Client({ connectionString: cluster.url })
  await admin.connect()
  await admin.query('CREATE DATABASE crumb_bench')
  await admin.end()
  return { url: cluster.url.replace(/\/postgres$/, '/crumb_bench'), cluster }
}

async function main(): Promise<void> {
  const { url, cluster } = await postgresUrl()
  const running: Running[] = []
  let sqliteFeed: FeedResult
  let pgFeed: FeedResult
  let targets: { sqlite: WriteTarget; pgOne: WriteTarget; pgTwo: WriteTarget }
  try {
    const sqlite = await start({ CRUMB_DATA_DIR: tempDir() })
    running.push(sqlite)
    const dirA = tempDir()
    const a = await start({ CRUMB_DATA_DIR: dirA, CRUMB_DATABASE_URL: url })
    running.push(a)
    const b = await start({
      CRUMB_DATA_DIR: tempDir(),
      CRUMB_DATABASE_URL: url,
      CRUMB_KEYRING: join(dirA, 'keyring.json'),
    })
    running.push(b)
    // PostgreSQL's writes through one instance (like for like with SQLite's one), and through two
    targets = {
      sqlite: await writeTarget([sqlite.url], 'bench'),
      pgOne: await writeTarget([a.url], 'one'),
      pgTwo: await writeTarget([a.url, b.url], 'two'),
    }
    await measureWrites([targets.sqlite, targets.pgOne, targets.pgTwo])
    sqliteFeed = await measureFeed([sqlite.url], targets.sqlite.users[0]!.token)
    pgFeed = await measureFeed([a.url, b.url], targets.pgTwo.users[0]!.token)
  } finally {
    await Promise.all(running.map((r) => r.stop()))
    await cluster?.destroy()
  }
  const writes = (t: WriteTarget) => ({
    creations: perSecond(t.creations),
    revocations: perSecond(t.revocations),
  })
  const sqliteWrites = writes(targets.sqlite)
  const pgOne = writes(targets.pgOne)
  const pgTwo = writes(targets.pgTwo)

  const rate = (x: number): string => `${Math.round(x).toLocaleString('en-US')} /s`
  const ms = (x: number): string => (Number.isNaN(x) ? '—' : `${x.toFixed(1)} ms`)
  console.log(
    `\ncrumb token service, both engines — ${CONNECTIONS} connections; writes in ${WRITE_ROUNDS} turns ` +
      `of ${WRITE_BURST_S} s per configuration, ${DURATION_S} s of feed reads; ` +
      `${VERIFIERS} long-poll verifiers, ${REVOCATIONS} revocations, 127.0.0.1; ` +
      `PostgreSQL ${cluster === undefined ? 'as configured at CRUMB_BENCH_DATABASE_URL' : DURABLE ? 'flushing every commit (fsync on)' : 'with fsync off'}\n`,
  )
  console.table({
    'SQLite (1 instance)': {
      'key creations': rate(sqliteWrites.creations),
      revocations: rate(sqliteWrites.revocations),
      'feed reads': rate(sqliteFeed.feedReads),
      'propagation p50': ms(sqliteFeed.sameP50),
      'propagation p99': ms(sqliteFeed.sameP99),
    },
    'PostgreSQL, 1 instance': {
      'key creations': rate(pgOne.creations),
      revocations: rate(pgOne.revocations),
      'feed reads': '',
      'propagation p50': '',
      'propagation p99': '',
    },
    'PostgreSQL, 2 instances (same)': {
      'key creations': rate(pgTwo.creations),
      revocations: rate(pgTwo.revocations),
      'feed reads': rate(pgFeed.feedReads),
      'propagation p50': ms(pgFeed.sameP50),
      'propagation p99': ms(pgFeed.sameP99),
    },
    'PostgreSQL, 2 instances (cross)': {
      'key creations': '',
      revocations: '',
      'feed reads': '',
      'propagation p50': ms(pgFeed.crossP50),
      'propagation p99': ms(pgFeed.crossP99),
    },
  })
  const ratio = (w: typeof pgOne): number =>
    Math.min(w.creations / sqliteWrites.creations, w.revocations / sqliteWrites.revocations)
  const verdict = (r: number): string => `${r.toFixed(2)}× (target ≥ 0.5×: ${r >= 0.5 ? 'met' : 'MISSED'})`
  const crossOk = pgFeed.crossP99 <= TARGET_CROSS_P99_MS
  const writeOk = ratio(pgOne) >= 0.5 && ratio(pgTwo) >= 0.5
  console.log(
    `PostgreSQL/SQLite write throughput, the lower of creations and revocations: one instance ${verdict(ratio(pgOne))}, ` +
      `two instances ${verdict(ratio(pgTwo))}; ` +
      `cross-instance propagation p99 ${ms(pgFeed.crossP99)} (target ≤ ${TARGET_CROSS_P99_MS} ms: ${crossOk ? 'met' : 'MISSED'})`,
  )
  if (!crossOk || !writeOk) process.exitCode = 1
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
