import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { loadContext } from '../context.js'
import { CliError } from '../errors.js'
import { printJson, printLine } from '../output.js'

/**
 * `crumb serve`: runs the token service (what `npm start` runs). The server modules are imported
 * only here, when the command runs, so no other command loads express, better-sqlite3 or pino.
 */

interface ServeFlags {
  port?: number
  host?: string
  dataDir?: string
}

function parsePort(value: string): number {
  const port = Number(value)
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new InvalidArgumentError('expected a port number (0 picks a free one).')
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
      // Imported here, never at the top: only `serve` may load express, better-sqlite3 and pino.
      const { startServer } = await import('../../server/start.js')
      let server: Awaited<ReturnType<typeof startServer>>
      try {
        server = await startServer({
          env: process.env,
          ...(flags.port === undefined ? {} : { port: flags.port }),
          ...(flags.host === undefined ? {} : { host: flags.host }),
          ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
        })
      } catch (error) {
        if ((error as Error).name === 'ConfigError')
          throw new CliError('config_invalid', (error as Error).message)
        throw error
      }
      if (ctx.json) printJson({ url: server.url, port: server.port })
      else printLine(`crumb listening on ${server.url}`)
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve()
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
      await server.close()
    })
}
