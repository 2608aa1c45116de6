import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { engineEnv } from '../../helpers/test-engine.js'

/** The repository root (commands run from there). */
export const ROOT = resolve(import.meta.dirname, '../../..')
export const SERVER_MAIN = join(ROOT, 'dist/src/server/main.js')
export const EXAMPLE_MAIN = join(ROOT, 'dist/examples/deploy-api/main.js')
export const OAUTH_CLIENT_MAIN = join(ROOT, 'dist/examples/oauth-client/main.js')

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
    }
  }
  return newest
}

function builtAt(file: string): number {
  try {
    return statSync(file).mtimeMs
  } catch {
    return 0
  }
}

/**
 * Compiles src/, caveats/ and examples/ into dist/ (what `npm run build` does), unless dist/ is
 * already newer than every source (as after `npm test`, which builds first).
 */
export function build(): void {
  const sources = Math.max(...['src', 'caveats', 'examples'].map((d) => newestSource(join(ROOT, d))))
  if (Math.min(builtAt(SERVER_MAIN), builtAt(EXAMPLE_MAIN)) > sources) return
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  )
}

/** A running child process that printed its URL. */
export interface Running {
  readonly url: string
  readonly port: number
  readonly child: ChildProcess
  /** Everything it printed so far (stdout and stderr). */
  output(): string
  stop(): Promise<void>
}

const URL_PATTERN = /listening on (https?:\/\/\S+)/i
const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

/**
 * Starts `node <script>` with `env` (added to this process's), waits for the URL it prints
 * (`listening on <url>`, or the first group of `pattern`).
 * Fails (with its output) if it exits or prints none within `timeoutMs`.
 */
export async function startProcess(
  script: string,
  env: Record<string, string>,
  options: { timeoutMs?: number; name?: string; pattern?: RegExp } = {},
): Promise<Running> {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let output = ''
  const found = new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.name ?? script} printed no URL in time:\n${output}`)),
      options.timeoutMs ?? 30_000,
    )
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8')
      const match = (options.pattern ?? URL_PATTERN).exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolveUrl(match[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${options.name ?? script} exited (${code}) before printing its URL:\n${output}`))
    })
  })
  const url = await found
  return {
    url,
    port: Number(new URL(url).port),
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
      children.delete(child)
    },
  }
}

/** A temporary data directory for a token service. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'crumb-e2e-'))
}

/** Starts the real token service on a loopback port (PORT=0 unless given) with its data in `dataDir`. */
export async function startTokenService(dataDir: string, port = 0): Promise<Running> {
  return startProcess(
    SERVER_MAIN,
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      CRUMB_DATA_DIR: dataDir,
      CRUMB_LOG_LEVEL: 'warn',
      CRUMB_KEY_CREATE_LIMIT: '10000',
      CRUMB_REGISTER_LIMIT: '10000',
      CRUMB_SCRYPT_N: '1024', // test-only password hashing cost
      ...(await engineEnv(dataDir)),
    },
    { name: 'token service' },
  )
}

/** Starts the example deploy API in local (`keyring` given) or remote mode. */
export function startDeployApi(options: {
  server: string
  serviceToken: string
  keyring?: string
  maxStaleness?: string
}): Promise<Running> {
  return startProcess(
    EXAMPLE_MAIN,
    {
      PORT: '0',
      CRUMB_SERVER: options.server,
      CRUMB_SERVICE_TOKEN: options.serviceToken,
      ...(options.keyring === undefined ? { CRUMB_MODE: 'remote' } : { CRUMB_KEYRING: options.keyring }),
      ...(options.maxStaleness === undefined ? {} : { CRUMB_MAX_STALENESS: options.maxStaleness }),
    },
    { name: `deploy-api (${options.keyring === undefined ? 'remote' : 'local'})` },
  )
}
