import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { loadContext } from '../context.js'
import { printJson, printLine } from '../output.js'

/**
 * `crumb serve`: runs the token service (what `npm start` runs). The server modules are imported
 * only here, when the command runs, so no other command loads express, better-sqlite3 or pino.
 */

/** The part of `src/server/start.ts` this command uses. */
interface ServerModule {
  startServer(options?: {
    port?: number
    host?: string
    dataDir?: string
    env?: NodeJS.ProcessEnv
  }): Promise<{ url: string; port: number; close(): Promise<void> }>
}

interface ServeFlags {
  port?: number
  host?: string
  dataDir?: string
}

function parsePort(value: string): number {
  const port = Number(value)
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('expected a port number (0 picks a free one).')
  return port
}

/**
 * Registers `crumb serve`.
 *
 * @example
 * registerServe(program)
 */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the token service (same as `npm start`)')
    .option('--port <port>', 'port to listen on (default: PORT or 8080; 0 picks a free one)', parsePort)
    .option('--host <host>', 'address to bind (default: HOST or 127.0.0.1)')
    .option('--data-dir <dir>', 'where the database and key ring live (default: CRUMB_DATA_DIR)')
    .action(async (flags: ServeFlags, command: Command) => {
      const ctx = await loadContext(command)
      // The specifier is a variable so the server is compiled on its own and never preloaded.
      const specifier = '../../server/start.js'
      const { startServer } = (await import(specifier)) as ServerModule
      const server = await startServer({
        env: process.env,
        ...(flags.port === undefined ? {} : { port: flags.port }),
        ...(flags.host === undefined ? {} : { host: flags.host }),
        ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
      })
      if (ctx.json) printJson({ url: server.url, port: server.port })
      else printLine(`crumb token service listening on ${server.url} (Ctrl-C to stop)`)
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve()
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
      await server.close()
    })
}
