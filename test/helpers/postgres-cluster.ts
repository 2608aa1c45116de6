import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Debian's PostgreSQL 15 binaries (`apt-get install postgresql`); `CRUMB_TEST_PG_BIN` overrides. */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CRUMB_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin'
}

/** True when `initdb` and `pg_ctl` are installed where {@link postgresBinDir} says. */
export function postgresInstalled(env: NodeJS.ProcessEnv = process.env): boolean {
  const bin = postgresBinDir(env)
  return existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))
}

/** A throwaway PostgreSQL cluster on a loopback port, owned by the test run. */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication on loopback only). */
  readonly url: string
  readonly port: number
  /** The cluster's data folder (removed by {@link PostgresCluster.destroy}). */
  readonly dir: string
  /** `pg_ctl start` (waits until it accepts connections). */
  start(): Promise<void>
  /** `pg_ctl stop -m fast`: connections are cut, committed data stays. */
  stop(): Promise<void>
  /** Stop (if running) and remove the data folder. */
  destroy(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run('id', ['-u', 'postgres'])
  const { stdout: gid } = await run('id', ['-g', 'postgres'])
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
}

// initdb and postgres refuse to run as root: as root, run them as Debian's `postgres` user.
function asOwner(bin: string, args: string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', bin, ...args]]
  return [bin, args]
}

/**
 * `initdb` a new cluster in a temporary folder and start it on a free loopback port, with settings
 * for tests (no fsync: the fault tests crash the service, not the machine; `durable` keeps
 * PostgreSQL's flushing defaults, for benchmarks). Throws when PostgreSQL is not installed or does
 * not start.
 *
 * @example
 * const pg = await startPostgresCluster()
 * // ... connect to pg.url
 * await pg.destroy()
 */
export async function startPostgresCluster(
  env: NodeJS.ProcessEnv = process.env,
  options: { durable?: boolean } = {},
): Promise<PostgresCluster> {
  const bin = postgresBinDir(env)
  if (!postgresInstalled(env)) throw new Error(`PostgreSQL is not installed in ${bin}`)
  const dir = mkdtempSync(join(tmpdir(), 'crumb-pg-'))
  const owner = process.getuid?.() === 0 ? await postgresUser() : undefined
  if (owner) chownSync(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  const [initCmd, initArgs] = asOwner(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ])
  await run(initCmd, initArgs)
  const port = await freePort()
  const conf = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    // durable: PostgreSQL's defaults (every commit flushed, as SQLite's synchronous = FULL does)
    ...(options.durable ? [] : ['fsync = off', 'full_page_writes = off']),
    'max_connections = 200',
    'shared_buffers = 64MB',
    "log_min_messages = 'fatal'",
  ]
  const confPath = join(data, 'postgresql.auto.conf')
  writeFileSync(confPath, `${conf.join('\n')}\n`)
  if (owner) chownSync(confPath, owner.uid, owner.gid)
  const log = join(dir, 'postgres.log')
  const ctl = async (args: string[]): Promise<void> => {
    const [cmd, argv] = asOwner(join(bin, 'pg_ctl'), ['-D', data, ...args])
    await run(cmd, argv, { timeout: 60_000 })
  }
  let running = false
  const cluster: PostgresCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async start() {
      await ctl(['-l', log, '-w', '-t', '60', 'start'])
      running = true
    },
    async stop() {
      if (!running) return
      await ctl(['-m', 'fast', '-w', 'stop'])
      running = false
    },
    async destroy() {
      try {
        await cluster.stop()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
  try {
    await cluster.start()
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return cluster
}
