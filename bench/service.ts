/**
 * `npm run bench:service`: the token service under load, in one run, against a real server
 * process on 127.0.0.1 (bounded by count and time):
 *
 * 1. key creations per second — autocannon on `POST /v1/tokens` (every one an fsync'd write);
 * 2. revocations per second — `POST /v1/revocations`, of keys (row + feed entry + audit) and of
 *    attenuated tokens (feed entry + audit);
 * 3. feed reads per second — `GET /v1/revocations?since=<cursor>`, a verifier's poll;
 * 4. propagation — ≥ 200 revocations one at a time while verifiers hold long-polls open: time from
 *    sending the revocation to its delivery on each long-poll (p50 / p99). Peer measured alongside:
 *    a verifier that short-polls every second (what a feed without long-poll gives). Target: p99 < 1 s
 *    (Unkey documents up to 60 s for a disabled key to stop working).
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import autocannon from 'autocannon'
import { attenuate } from '../src/token/index.js'
import { json } from './http.js'
import { measurePropagation } from './lib/propagation.js'
import { launchService, percentile, revocationRequest } from './lib/service-process.js'

const ROOT = resolve(import.meta.dirname, '..')
const DURATION_S = Number(process.env.BENCH_DURATION ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16)
const PROPAGATION = Math.max(200, Number(process.env.BENCH_REVOCATIONS ?? 250))
const LONG_POLLERS = 3
const SHORT_POLL_MS = 1000
const TARGET_P99_MS = 1000

let server: ChildProcess | undefined
const dir = mkdtempSync(join(tmpdir(), 'crumb-bench-'))
process.once('exit', () => {
  server?.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

async function launch(): Promise<string> {
  const started = await launchService(['--import', 'tsx', join(ROOT, 'src/server/main.ts')], {
    CRUMB_DATA_DIR: dir,
  })
  server = started.child
  return started.url
}

interface Rate {
  readonly ok: number
  readonly perSecond: number
  readonly p99Ms: number
  readonly errors: number
}

async function cannon(opts: autocannon.Options): Promise<Rate> {
  const r = await autocannon({ connections: CONNECTIONS, ...opts })
  const ok = r['2xx']
  return { ok, perSecond: ok / r.duration, p99Ms: r.latency.p99, errors: r.non2xx + r.errors + r.timeouts }
}

async function main(): Promise<void> {
  const url = await launch()
  const reg = await json<{ token: string }>(`${url}/v1/users`, {
    method: 'POST',
    body: JSON.stringify({ email: 'bench@example.com', password: 'correct horse battery staple' }),
  })
  const token = reg.token
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }

  // 1. key creations — keep the tokens to revoke them next
  const minted: string[] = []
  const creations = await cannon({
    url,
    duration: DURATION_S,
    requests: [
      {
        method: 'POST',
        path: '/v1/tokens',
        headers: auth,
        body: JSON.stringify({ name: 'bench key', caveats: ['ops = read,write'] }),
        onResponse: (status: number, body: string) => {
          if (status === 201) minted.push((JSON.parse(body) as { token: string }).token)
        },
      },
    ],
  })

  // 2a. revocations of keys, by possession
  let k = 0
  const keyRevocations = await cannon({
    url,
    amount: minted.length,
    requests: [revocationRequest(() => minted[k++ % minted.length]!)],
  })

  // 2b. revocations of attenuated tokens (one feed entry each)
  let a = 0
  const attenuatedRevocations = await cannon({
    url,
    duration: DURATION_S,
    requests: [revocationRequest(() => attenuate(token, [`app = bench-${a++}`]))],
  })

  // 3. feed reads: a verifier's poll from the current cursor
  const { cursor } = await json<{ cursor: string }>(`${url}/v1/revocations`, { token })
  const feedReads = await cannon({
    url,
    duration: DURATION_S,
    requests: [{ method: 'GET', path: `/v1/revocations?since=${cursor}`, headers: auth }],
  })

  // 4. propagation on open long-polls (and a short-polling peer)
  const longDelays: number[] = []
  const shortDelays: number[] = []
  await measurePropagation({
    revokeUrl: url,
    token,
    readers: [
      ...Array.from({ length: LONG_POLLERS }, () => ({ url, longPoll: true, delays: longDelays })),
      { url, longPoll: false, everyMs: SHORT_POLL_MS, delays: shortDelays },
    ],
    revocations: PROPAGATION,
    warmupMs: 300,
    gapMs: [2, 12],
    maxMs: 60_000,
    tailMs: SHORT_POLL_MS + 200,
  })

  const ms = (x: number): string => `${x.toFixed(1)} ms`
  const rate = (r: Rate): string => `${Math.round(r.perSecond).toLocaleString('en-US')} /s`
  console.log(`\ncrumb token service — ${CONNECTIONS} connections, ${DURATION_S} s per phase, 127.0.0.1\n`)
  console.table({
    'key creations': {
      rate: rate(creations),
      'p99 latency': ms(creations.p99Ms),
      ok: creations.ok,
      errors: creations.errors,
    },
    'revocations (keys)': {
      rate: rate(keyRevocations),
      'p99 latency': ms(keyRevocations.p99Ms),
      ok: keyRevocations.ok,
      errors: keyRevocations.errors,
    },
    'revocations (attenuated)': {
      rate: rate(attenuatedRevocations),
      'p99 latency': ms(attenuatedRevocations.p99Ms),
      ok: attenuatedRevocations.ok,
      errors: attenuatedRevocations.errors,
    },
    'feed reads': {
      rate: rate(feedReads),
      'p99 latency': ms(feedReads.p99Ms),
      ok: feedReads.ok,
      errors: feedReads.errors,
    },
  })
  const longP99 = percentile(longDelays, 99)
  console.table({
    [`long-poll (${LONG_POLLERS} verifiers)`]: {
      deliveries: longDelays.length,
      p50: ms(percentile(longDelays, 50)),
      p99: ms(longP99),
      max: ms(longDelays.at(-1) ?? Number.NaN),
    },
    [`short poll every ${SHORT_POLL_MS / 1000} s (peer)`]: {
      deliveries: shortDelays.length,
      p50: ms(percentile(shortDelays, 50)),
      p99: ms(percentile(shortDelays, 99)),
      max: ms(shortDelays.at(-1) ?? Number.NaN),
    },
  })
  const revocations = longDelays.length / LONG_POLLERS
  console.log(
    `propagation over ${Math.round(revocations)} revocations: p99 ${ms(longP99)} ` +
      `(target < ${TARGET_P99_MS} ms: ${longP99 < TARGET_P99_MS ? 'met' : 'MISSED'}; ` +
      `${(percentile(shortDelays, 99) / longP99).toFixed(0)}× faster than 1 s short polling, ` +
      `${(60_000 / longP99).toFixed(0)}× under Unkey's documented 60 s)`,
  )
  server?.kill('SIGTERM')
  if (!(longP99 < TARGET_P99_MS) || revocations < 200) process.exitCode = 1
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
