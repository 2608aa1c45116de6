/**
 * `npm run bench:middleware`: the cost of `crumb/express` on the example deploy API's read route,
 * and how fast a revocation reaches running services. Everything is measured in this one run, on
 * 127.0.0.1, against real processes:
 *
 * 1. throughput — autocannon on `GET /orgs/acme/apps/web/status`, served by the same app three ways:
 *    no auth, local verification (key ring file) and remote verification (`POST /v1/verify`, warm
 *    cache). Each round starts fresh processes and interleaves the modes, so neither drift nor one
 *    process's JIT luck decides the ratio. Within a round the servers take one-second turns, first
 *    to warm up, then to be measured, so all three see the same moments of a noisy machine and
 *    what is compared is a running service, not its JIT warm-up.
 *    Targets: local ≥ 90% of no auth, remote warm ≥ 80%.
 * 2. revocation propagation — 3 deploy-API processes in local mode; ≥ 100 attenuated tokens revoked
 *    one by one; time from sending `POST /v1/revocations` until each process refuses the token.
 *    Target: p99 < 1 s.
 *
 * Environment: BENCH_ROUNDS, BENCH_DURATION (s per mode per round), BENCH_WARMUP (s of load before
 * each measurement), BENCH_CONTROL=1 (a second no-auth server as a control), BENCH_REVOCATIONS, and
 * BENCH_CPU_PROF=<dir> to write V8 CPU profiles of the three throughput servers there.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import autocannon from 'autocannon'
import { attenuate } from '../src/token/index.js'
import { json } from './http.js'

const ROOT = resolve(import.meta.dirname, '..')
// Many short rounds rather than a few long ones: on a 2-core box other work comes and goes, and a
// median over more interleaved rounds shrugs off a round it disturbed.
const DURATION_S = Number(process.env.BENCH_DURATION ?? 3)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
/**
 * Load on each server before it is measured. A fresh server spends its first seconds compiling
 * (the verifier adds code to optimize) and growing its heap; its CPU per request settles after
 * about 3 s of load here.
 */
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 4)
/** BENCH_CONTROL=1 adds a second no-auth server, whose ratio shows the method's own error. */
const CONTROL = process.env.BENCH_CONTROL === '1'
/** Turn length when the servers take turns under load (see `interleave`); autocannon stops only at its 1 s sampling tick. */
const SLICE_S = 1
const CONNECTIONS = 16
const REVOCATIONS = Number(process.env.BENCH_REVOCATIONS ?? 120)
const ROUTE = '/orgs/acme/apps/web/status'
/** A folder to write V8 CPU profiles of the throughput servers to (`node --cpu-prof`), or unset. */
const PROFILE_DIR = process.env.BENCH_CPU_PROF
const profileArgs = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE_DIR)}`]

const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

interface Proc {
  readonly url: string
  readonly pid: number | undefined
  stop(): Promise<void>
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100

/** CPU time (user + system) a process has used so far, in ms; undefined where /proc is not there. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS // utime + stime
  } catch {
    return undefined
  }
}

async function start(args: string[], env: Record<string, string>, name: string): Promise<Proc> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let output = ''
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} printed no URL:\n${output}`)), 30_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8')
      const match = /listening on (https?:\/\/\S+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolveUrl(match[1])
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${output}`)))
  })
  return {
    url,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
      children.delete(child)
    },
  }
}

/** The example app with pass-through auth: what the route costs without crumb. */
const NO_AUTH_SERVER = `
import { createDeployApi } from './dist/examples/deploy-api/app.js'
const pass = (_req, _res, next) => next()
const server = createDeployApi({ authenticate: pass, authorize: () => pass }).listen(0, '127.0.0.1', () => {
  console.log('deploy-api (no auth) listening on http://127.0.0.1:' + server.address().port)
})
process.on('SIGTERM', () => process.exit(0))
`

interface Load {
  readonly rps: number
  /** Median of the slices' p99 latencies, in ms. */
  readonly p99: number
  readonly bad: number
  /** Server CPU time per request, in µs: what the mode costs, whatever else runs on the machine. */
  readonly cpuUs: number
}

/** One slice of load on one server. */
interface Slice {
  readonly requests: number
  readonly seconds: number
  /** Server CPU time the slice used, in ms (NaN where /proc is not there). */
  readonly cpuMs: number
  readonly p99: number
  readonly bad: number
}

async function slice(server: Proc, token: string, seconds: number): Promise<Slice> {
  const cpuBefore = cpuMs(server.pid)
  const result = await autocannon({
    url: server.url + ROUTE,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  })
  const cpuAfter = cpuMs(server.pid)
  return {
    requests: result.requests.total,
    seconds: result.duration,
    cpuMs: cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : cpuAfter - cpuBefore,
    p99: result.latency.p99,
    bad: result.non2xx + result.errors,
  }
}

/**
 * `seconds` of load on every server, in SLICE_S turns that rotate through them: the machine's
 * load comes and goes within seconds, and fine turns let every server see the same of it.
 * Returns each server's total.
 */
async function interleave(
  servers: readonly Proc[],
  token: string,
  seconds: number,
  shift: number,
): Promise<Load[]> {
  const slices: Slice[][] = servers.map(() => [])
  const turns = Math.max(1, Math.round(seconds / SLICE_S))
  for (let turn = 0; turn < turns; turn++) {
    for (let i = 0; i < servers.length; i++) {
      const at = (i + turn + shift) % servers.length
      const server = servers[at]
      if (server !== undefined) slices[at]?.push(await slice(server, token, SLICE_S))
    }
  }
  return slices.map((xs) => {
    const requests = xs.reduce((a, x) => a + x.requests, 0)
    return {
      rps: requests / xs.reduce((a, x) => a + x.seconds, 0),
      p99: median(xs.map((x) => x.p99)),
      bad: xs.reduce((a, x) => a + x.bad, 0),
      cpuUs: (xs.reduce((a, x) => a + x.cpuMs, 0) * 1000) / Math.max(1, requests),
    }
  })
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  if (sorted.length === 0) return Number.NaN
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

const pad = (s: string, n: number): string => s.padEnd(n)
const num = (n: number, digits = 0, width = 9): string => n.toFixed(digits).padStart(width)
const pct = (r: number, width: number): string => `${(r * 100).toFixed(1)}%`.padStart(width)

async function main(): Promise<void> {
  const started = performance.now()
  const dataDir = mkdtempSync(join(tmpdir(), 'crumb-bench-'))
  const procs: Proc[] = []
  try {
    const service = await start(
      ['dist/src/server/main.js'],
      {
        PORT: '0',
        HOST: '127.0.0.1',
        CRUMB_DATA_DIR: dataDir,
        CRUMB_LOG_LEVEL: 'warn',
        CRUMB_KEY_CREATE_LIMIT: '10000',
        CRUMB_REGISTER_LIMIT: '10000',
      },
      'token service',
    )
    procs.push(service)
    const api = service.url
    const registered = await json<{ token: string }>(`${api}/v1/users`, {
      method: 'POST',
      body: JSON.stringify({ email: 'bench@acme.example', password: 'correct horse battery staple' }),
    })
    const root = registered.token
    const serviceToken = (
      await json<{ token: string }>(`${api}/v1/tokens`, {
        method: 'POST',
        token: root,
        body: JSON.stringify({ name: 'deploy-api' }),
      })
    ).token
    // What a CI or dashboard token looks like: a key narrowed to one org and app, read-only, plus
    // an offline attenuation (expiry) on top.
    const key = (
      await json<{ token: string }>(`${api}/v1/tokens`, {
        method: 'POST',
        token: root,
        body: JSON.stringify({ name: 'bench-reader', caveats: ['org = acme', 'app = web', 'ops = read'] }),
      })
    ).token
    const expires = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z')
    const token = attenuate(key, [`expires = ${expires}`])
    const keyring = join(dataDir, 'keyring.json')
    const example = 'dist/examples/deploy-api/main.js'

    // ---- 1. throughput --------------------------------------------------------------------------
    // Fresh processes every round: two runs of the very same server can differ by 20–30% in CPU
    // per request (JIT and memory-layout luck), so one process per mode for the whole run would
    // measure that luck. A median over rounds samples it anew for every mode.
    const noAuthServer = (name: string): Promise<Proc> =>
      start([...profileArgs, '--input-type=module', '-e', NO_AUTH_SERVER], {}, name)
    const modes: readonly { name: string; target: number | undefined; start: () => Promise<Proc> }[] = [
      // Same request bytes in every mode (the no-auth server ignores the header): the ratio then
      // measures verification, not the parsing of a longer request.
      { name: 'no auth', target: undefined, start: () => noAuthServer('no-auth app') },
      {
        name: 'local verification',
        target: 0.9,
        start: () =>
          start(
            [...profileArgs, example],
            { PORT: '0', CRUMB_SERVER: api, CRUMB_SERVICE_TOKEN: serviceToken, CRUMB_KEYRING: keyring },
            'local',
          ),
      },
      {
        name: 'remote, warm cache',
        target: 0.8,
        start: () =>
          start(
            [...profileArgs, example],
            { PORT: '0', CRUMB_SERVER: api, CRUMB_SERVICE_TOKEN: serviceToken, CRUMB_MODE: 'remote' },
            'remote',
          ),
      },
      // A second no-auth server: how far from 100% the method itself reads.
      ...(CONTROL
        ? [{ name: 'no auth (control)', target: undefined, start: () => noAuthServer('no-auth control') }]
        : []),
    ]
    const startModes = (): Promise<Proc[]> => Promise.all(modes.map((m) => m.start()))
    const samples = new Map<string, Load[]>(modes.map((m) => [m.name, []]))
    for (let round = 0; round < ROUNDS; round++) {
      const servers = await startModes()
      procs.push(...servers)
      // Warm-up (JIT, heap, the remote cache), interleaved like the measurement so that no server
      // sits idle between its warm-up and its measurement.
      await interleave(servers, token, WARMUP_S, round)
      const measured = await interleave(servers, token, DURATION_S, round)
      modes.forEach((mode, i) => {
        const load = measured[i]
        if (load !== undefined) samples.get(mode.name)?.push(load)
      })
      await Promise.all(servers.map((p) => p.stop()))
    }
    // Each round's modes share the same moments of the machine, so the ratio is taken per round
    // (against that round's no-auth server) and the median of rounds is reported.
    const baseline = samples.get('no auth') ?? []
    const summary = modes.map((m) => {
      const s = samples.get(m.name) ?? []
      return {
        ...m,
        rps: median(s.map((x) => x.rps)),
        p99: median(s.map((x) => x.p99)),
        cpuUs: median(s.map((x) => x.cpuUs)),
        ratio: median(s.map((x, i) => x.rps / (baseline[i]?.rps ?? Number.NaN))),
        ratios: s.map((x, i) => x.rps / (baseline[i]?.rps ?? Number.NaN)).sort((a, b) => a - b),
        cpuRatio: median(s.map((x, i) => (baseline[i]?.cpuUs ?? Number.NaN) / x.cpuUs)),
        bad: s.reduce((a, x) => a + x.bad, 0),
      }
    })
    console.log(
      `\ncrumb/express on GET ${ROUTE} — autocannon, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${DURATION_S} s per mode after ${WARMUP_S} s of warm-up, in ${SLICE_S} s turns, fresh processes each round, 127.0.0.1 (medians over rounds)`,
    )
    console.log(
      `${pad('mode', 20)}${'req/s'.padStart(9)}${'p99 ms'.padStart(9)}${'vs no auth'.padStart(12)}${'CPU µs/req'.padStart(12)}${'CPU ratio'.padStart(11)}  target (req/s ratio)`,
    )
    for (const s of summary) {
      const verdict =
        s.target === undefined ? '' : `≥ ${s.target * 100}%  ${s.ratio >= s.target ? 'met' : 'MISSED'}`
      const bad = s.bad > 0 ? `  (${s.bad} non-2xx/errors!)` : ''
      // The spread of per-round ratios: how far one run of this bench can be trusted.
      const spread =
        s.name === 'no auth'
          ? ''
          : `  rounds ${pct(s.ratios[0] ?? Number.NaN, 0)}–${pct(s.ratios.at(-1) ?? Number.NaN, 0)}`
      console.log(
        `${pad(s.name, 20)}${num(s.rps)}${num(s.p99, 1)}${pct(s.ratio, 12)}${num(s.cpuUs, 1, 12)}${pct(s.cpuRatio, 11)}  ${verdict}${spread}${bad}`,
      )
    }
    console.log(
      "CPU ratio = no-auth server CPU per request ÷ this mode's (what the ratio would be on an otherwise idle machine).",
    )

    // ---- 2. revocation propagation --------------------------------------------------------------
    const services = await Promise.all(
      [1, 2, 3].map((i) =>
        start(
          [example],
          { PORT: '0', CRUMB_SERVER: api, CRUMB_SERVICE_TOKEN: serviceToken, CRUMB_KEYRING: keyring },
          `svc${i}`,
        ),
      ),
    )
    procs.push(...services)
    const parent = (
      await json<{ token: string }>(`${api}/v1/tokens`, {
        method: 'POST',
        token: root,
        body: JSON.stringify({ name: 'bench-revoke', caveats: ['app = web'] }),
      })
    ).token
    const statusOf = async (url: string, t: string): Promise<number> => {
      const res = await fetch(url + ROUTE, { headers: { authorization: `Bearer ${t}` } })
      await res.arrayBuffer()
      return res.status
    }
    const each: number[] = []
    const all: number[] = []
    for (let i = 0; i < REVOCATIONS; i++) {
      const child = attenuate(parent, [`org = acme,bench-${i}`])
      const warm = await Promise.all(services.map((s) => statusOf(s.url, child)))
      if (warm.some((s) => s !== 200)) throw new Error(`token ${i} not accepted before revocation: ${warm}`)
      const t0 = performance.now()
      const revoked = fetch(`${api}/v1/revocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: child }),
      }).then(async (res) => {
        if (!res.ok) throw new Error(`revoke answered ${res.status}`)
        await res.arrayBuffer()
      })
      const times = await Promise.all(
        services.map(async (s) => {
          for (;;) {
            if ((await statusOf(s.url, child)) === 401) return performance.now() - t0
            if (performance.now() - t0 > 10_000) throw new Error('revocation did not arrive in 10 s')
            await new Promise((r) => setTimeout(r, 2))
          }
        }),
      )
      await revoked
      each.push(...times)
      all.push(Math.max(...times))
    }
    each.sort((a, b) => a - b)
    all.sort((a, b) => a - b)
    console.log(
      `\nrevocation propagation — ${REVOCATIONS} attenuated tokens revoked, 3 deploy-api processes (local mode)`,
    )
    console.log(`${pad('', 30)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}  target`)
    const row = (name: string, xs: number[]): void => {
      const p99 = percentile(xs, 99)
      console.log(
        `${pad(name, 30)}${num(percentile(xs, 50), 1)}${num(p99, 1)}${num(xs.at(-1) ?? Number.NaN, 1)}  p99 < 1000 ms  ${p99 < 1000 ? 'met' : 'MISSED'}`,
      )
    }
    row('each process refuses', each)
    row('all three refuse', all)
    console.log(`\ntotal bench time ${((performance.now() - started) / 1000).toFixed(0)} s`)
  } finally {
    await Promise.all(procs.map((p) => p.stop().catch(() => undefined)))
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
