#!/usr/bin/env node
/**
 * `npm start`: the token service, configured from the environment (see `src/server/config.ts`).
 * Prints `crumb listening on <url>`; SIGTERM / SIGINT drain and exit 0.
 */
import { ConfigError } from './config.js'
import { startServer } from './start.js'

async function main(): Promise<void> {
  let server: Awaited<ReturnType<typeof startServer>>
  try {
    server = await startServer()
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`crumb: ${e.message}\n`)
      process.exit(1)
    }
    throw e
  }
  process.stdout.write(`crumb listening on ${server.url}\n`)
  const stop = (signal: NodeJS.Signals): void => {
    process.stderr.write(`crumb: ${signal}, shutting down\n`)
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`crumb: shutdown failed: ${String(err)}\n`)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

main().catch((err: unknown) => {
  process.stderr.write(`crumb: failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
