import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { engineEnv } from '../helpers/test-engine.js'

/**
 * Helpers for the CLI's process tests: build once, run the built `crumb` as a subprocess with an
 * isolated environment, and run the real token service (`node dist/src/server/main.js`) on a
 * random loopback port.
 */

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** The built CLI entry point (package.json `bin`). */
export const CLI = join(ROOT, 'dist/src/cli/main.js')
/** The built token service entry point (`npm start`). */
export const SERVER_MAIN = join(ROOT, 'dist/src/server/main.js')

const SOURCES = ['src', 'caveats', 'examples', 'package.json', 'tsconfig.json', 'tsconfig.build.json']

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = 0
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

function outputMtime(): number {
  if (!existsSync(CLI) || !existsSync(SERVER_MAIN)) return 0
  return Math.min(statSync(CLI).mtimeMs, statSync(SERVER_MAIN).mtimeMs)
}

/**
 * Runs `npm run build` unless `dist` is newer than every source file. A lock directory makes
 * test files that run in parallel build at most once between them.
 */
export function ensureBuilt(): void {
  const cache = join(ROOT, 'node_modules/.cache')
  mkdirSync(cache, { recursive: true })
  const lock = join(cache, 'crumb-cli-build.lock')
  const deadline = Date.now() + 180_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // A lock older than 3 minutes belongs to a dead run.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000)
        rmSync(lock, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error('timed out waiting for another test file to build')
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200)
    }
  }
  try {
    if (Math.max(...SOURCES.map((s) => newestMtime(join(ROOT, s)))) <= outputMtime()) return
    try {
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', encoding: 'utf8' })
    } catch (error) {
      // tsc still emits on type errors elsewhere in the tree; carry on if the entry points exist.
      if (!existsSync(CLI) || !existsSync(SERVER_MAIN)) throw error
      const out = (error as { stdout?: string }).stdout ?? ''
      process.stderr.write(`npm run build reported errors; testing what it emitted:\n${out.slice(0, 2000)}\n`)
    }
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** An environment with nothing inherited that could change the CLI's behaviour. */
export function isolatedEnv(
  configHome: string,
  extra: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: configHome,
    XDG_CONFIG_HOME: configHome,
    NO_COLOR: '1',
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value
  return env
}

/** What a finished CLI run left behind. */
export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Spawns the built CLI without waiting (for the device flow, which prints and then polls).
 * stdin is a pipe, so the CLI never sees a TTY.
 */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
}

/**
 * Runs the built CLI to completion; `input` is written to its stdin (then closed).
 *
 * @example
 * const { code, stdout } = await runCli(['tokens', 'ls', '--json'], env)
 */
export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawnCli(args, env)
  return collect(child, options)
}

/** Waits for a spawned CLI to exit and gathers its output. */
export function collect(
  child: ChildProcess,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  if (options.input !== undefined) child.stdin?.end(options.input)
  else child.stdin?.end()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`crumb timed out\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, options.timeoutMs ?? 20_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** A running token service. */
export interface Service {
  readonly url: string
  readonly child: ChildProcess
  /** Output so far (for failure messages). */
  output(): string
  stop(): Promise<void>
}

/**
 * Starts `node dist/src/server/main.js` with `PORT=0` on 127.0.0.1 and a temp data dir, reads
 * the URL it prints, and waits until `/v1/healthz` answers.
 */
export async function startService(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Service> {
  const child = spawn(process.execPath, [SERVER_MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      CRUMB_DATA_DIR: dataDir,
      CRUMB_LOG_LEVEL: 'info',
      CRUMB_DEVICE_POLL_INTERVAL: '1',
      CRUMB_KEY_CREATE_LIMIT: '1000',
      CRUMB_LOGIN_LIMIT: '1000',
      CRUMB_SCRYPT_N: '1024', // test-only password hashing cost
      CRUMB_REGISTER_LIMIT: '1000',
      ...(await engineEnv(dataDir)),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service printed no URL:\n${output}`)), 20_000)
    const onData = (d: string): void => {
      output += d
      const match = /https?:\/\/(?:127\.0\.0\.1|localhost):\d+/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[0])
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the service exited (${code}):\n${output}`))
    })
  })
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/v1/healthz`)).ok) break
    } catch {
      // not listening yet
    }
    if (i > 100) throw new Error(`the service never became healthy:\n${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    child,
    output: () => output,
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}
