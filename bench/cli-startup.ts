/**
 * Start-up time of the `crumb` CLI's offline commands, hyperfine-style: warm-up runs, then many
 * interleaved spawns of each command, reporting the median (and spread) and ratios against
 * `node -e 0` (the floor) and against the same CLI made to import the token service first
 * (what every command would cost if the CLI loaded the server eagerly).
 *
 * Run: `npm run build && npm run bench:cli` (options: `--runs 40 --warmup 5`).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { generateKeyRing, mintRootToken, newUserId } from '../src/index.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const CLI = join(ROOT, 'dist/src/cli/main.js')
const SERVER_START = join(ROOT, 'dist/src/server/start.js')

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '30' }, warmup: { type: 'string', default: '3' } },
})
const RUNS = Number(values.runs)
const WARMUP = Number(values.warmup)

interface Case {
  readonly name: string
  readonly args: readonly string[]
}

interface Stats {
  readonly median: number
  readonly mean: number
  readonly min: number
  readonly p10: number
  readonly p90: number
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
  const mid = sorted.length / 2
  const median =
    sorted.length % 2 === 0
      ? ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
      : (sorted[Math.floor(mid)] ?? Number.NaN)
  return {
    median,
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    min: sorted[0] ?? Number.NaN,
    p10: at(0.1),
    p90: at(0.9),
  }
}

function timeOnce(c: Case, env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint()
  const run = spawnSync(process.execPath, c.args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (run.status !== 0) throw new Error(`${c.name} exited ${run.status}: ${run.stderr.toString()}`)
  return ms
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error('dist/src/cli/main.js is missing: run `npm run build` first')
  const home = await mkdtemp(join(tmpdir(), 'crumb-bench-cli-'))
  try {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: home }
    const token = mintRootToken({
      ring: generateKeyRing(),
      userId: newUserId(),
      caveats: ['expires = 2099-01-01T00:00:00Z', 'ops = read,write,deploy'],
      location: 'http://127.0.0.1:8080',
    }).token

    // The same CLI entry point, with the token service imported first.
    const withServer = join(home, 'cli-with-server.mjs')
    const serverImports = existsSync(SERVER_START)
      ? [pathToFileURL(SERVER_START).href]
      : ['express', 'better-sqlite3', 'pino'] // before src/server/start.ts exists: its heavy dependencies
    await writeFile(
      withServer,
      `import { createRequire } from 'node:module'
const require = createRequire(${JSON.stringify(pathToFileURL(join(ROOT, 'package.json')).href)})
for (const spec of ${JSON.stringify(serverImports)}) await import(spec.startsWith('file:') ? spec : require.resolve(spec))
await import(${JSON.stringify(pathToFileURL(CLI).href)})
`,
    )

    const cases: Case[] = [
      { name: 'node -e 0', args: ['-e', '0'] },
      { name: 'crumb --version', args: [CLI, '--version'] },
      { name: 'crumb inspect', args: [CLI, 'inspect', token] },
      {
        name: 'crumb attenuate',
        args: [CLI, 'attenuate', '--org', 'acme', '--read-only', '--expires', '1h', token],
      },
      { name: 'crumb inspect + server imported', args: [withServer, 'inspect', token] },
    ]
    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]))
    for (let i = 0; i < WARMUP; i++) for (const c of cases) timeOnce(c, env)
    // Interleaved, so drift in machine load hits every case alike.
    for (let i = 0; i < RUNS; i++) for (const c of cases) samples.get(c.name)?.push(timeOnce(c, env))

    const results = cases.map((c) => ({ name: c.name, ...stats(samples.get(c.name) ?? []) }))
    const floor = results[0]?.median ?? Number.NaN
    const heavy = results.at(-1)?.median ?? Number.NaN
    const pad = Math.max(...results.map((r) => r.name.length))
    console.log(
      `crumb CLI start-up: ${RUNS} runs each after ${WARMUP} warm-up, Node ${process.versions.node}`,
    )
    if (!existsSync(SERVER_START))
      console.log(
        '(dist/src/server/start.js not built: "server imported" loads express, better-sqlite3, pino)',
      )
    console.log(`${'command'.padEnd(pad)}  median ms  p10–p90 ms     ×node -e 0  ×server-importing`)
    for (const r of results) {
      const spread = `${r.p10.toFixed(1)}–${r.p90.toFixed(1)}`
      console.log(
        `${r.name.padEnd(pad)}  ${r.median.toFixed(1).padStart(9)}  ${spread.padEnd(13)}  ${(r.median / floor).toFixed(2).padStart(10)}  ${(r.median / heavy).toFixed(2).padStart(17)}`,
      )
    }
    const offline = results.filter((r) => r.name === 'crumb inspect' || r.name === 'crumb attenuate')
    for (const r of offline) {
      console.log(
        `${r.name}: +${(r.median - floor).toFixed(1)} ms over node -e 0; ${(heavy - r.median).toFixed(1)} ms faster than with the server imported`,
      )
    }
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}

await main()
