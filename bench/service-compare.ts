/**
 * `BENCH_BASE=/path/to/other/checkout npm run bench:service:compare`: the token service of this
 * checkout against another build of it (e.g. the commit before a refactor), both started as real
 * server processes on 127.0.0.1, measured interleaved in one run (A B B A …), printing each row's
 * throughput ratio (this / base). Rows: key creations (an fsync'd write each), revocations of
 * attenuated tokens, feed reads, authenticated reads (`GET /v1/whoami`), and logins are left out
 * on purpose (scrypt dominates them).
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import autocannon from 'autocannon'
import { attenuate } from '../src/token/index.js'
import { json } from './http.js'
import { launchService, revocationRequest } from './lib/service-process.js'

const HERE = resolve(import.meta.dirname, '..')
const BASE = process.env.BENCH_BASE
const DURATION_S = Number(process.env.BENCH_DURATION ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4)
const REVOKED_KEYS = 200

if (BASE === undefined) {
  console.error('set BENCH_BASE to the checkout to compare against (built, with node_modules)')
  process.exit(2)
}

const children: ChildProcess[] = []
const dirs: string[] = []
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL')
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Starts the built server (`dist/src/server/main.js`) of a checkout; resolves with its URL. */
async function launch(root: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'crumb-bench-cmp-'))
  dirs.push(dir)
  const started = await launchService([join(root, 'dist/src/server/main.js')], { CRUMB_DATA_DIR: dir }, root)
  children.push(started.child)
  return started.url
}

interface Target {
  readonly label: string
  readonly url: string
  readonly token: string
  /** Keys whose attenuations the revocation phase revokes, in turn. */
  readonly keys: readonly string[]
  cursor: string
  n: number
}

async function prepare(label: string, root: string): Promise<Target> {
  const url = await launch(root)
  const reg = await json<{ token: string }>(`${url}/v1/users`, {
    method: 'POST',
    body: JSON.stringify({ email: 'bench@example.com', password: 'correct horse battery staple' }),
  })
  // attenuated revocations spread over many keys, a few dozen each, as a service sees them (one key
  // with thousands of revoked attenuations would measure the per-key pair limit instead)
  const keys: string[] = []
  for (let i = 0; i < REVOKED_KEYS; i++) {
    const created = await json<{ token: string }>(`${url}/v1/tokens`, {
      method: 'POST',
      token: reg.token,
      body: JSON.stringify({ name: `revoked attenuations ${i}` }),
    })
    keys.push(created.token)
  }
  const { cursor } = await json<{ cursor: string }>(`${url}/v1/revocations`, { token: reg.token })
  return { label, url, token: reg.token, keys, cursor, n: 0 }
}

type Phase = (t: Target) => autocannon.Options

const auth = (t: Target) => ({ authorization: `Bearer ${t.token}`, 'content-type': 'application/json' })

const PHASES: Record<string, Phase> = {
  'key creations': (t) => ({
    url: t.url,
    requests: [
      {
        method: 'POST',
        path: '/v1/tokens',
        headers: auth(t),
        body: JSON.stringify({ name: 'bench key', caveats: ['ops = read,write'] }),
      },
    ],
  }),
  'revocations (attenuated)': (t) => ({
    url: t.url,
    requests: [
      revocationRequest(() => attenuate(t.keys[t.n % t.keys.length] ?? t.token, [`app = b-${t.n++}`])),
    ],
  }),
  'feed reads': (t) => ({
    url: t.url,
    requests: [{ method: 'GET', path: `/v1/revocations?since=${t.cursor}`, headers: auth(t) }],
  }),
  'authenticated reads (whoami)': (t) => ({
    url: t.url,
    requests: [{ method: 'GET', path: '/v1/whoami', headers: auth(t) }],
  }),
}

async function rate(opts: autocannon.Options): Promise<number> {
  const r = await autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...opts })
  if (r.non2xx + r.errors > 0) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`)
  return r['2xx'] / r.duration
}

async function main(): Promise<void> {
  const base = await prepare('base', resolve(BASE as string))
  const here = await prepare('this', HERE)
  const rows: Record<string, Record<string, string>> = {}
  for (const [name, phase] of Object.entries(PHASES)) {
    const sums = { base: 0, this: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      // alternate who goes first, so drift in the machine's load hits both alike
      const order = round % 2 === 0 ? [base, here] : [here, base]
      for (const t of order) sums[t.label as 'base' | 'this'] += await rate(phase(t))
    }
    const b = sums.base / ROUNDS
    const h = sums.this / ROUNDS
    rows[name] = {
      base: `${Math.round(b).toLocaleString('en-US')} /s`,
      this: `${Math.round(h).toLocaleString('en-US')} /s`,
      ratio: (h / b).toFixed(3),
    }
  }
  console.log(
    `\ncrumb token service, this checkout vs ${BASE} — ${CONNECTIONS} connections, ${ROUNDS} × ${DURATION_S} s per side and row, interleaved\n`,
  )
  console.table(rows)
  for (const c of children) c.kill('SIGTERM')
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
