import { mkdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { openConfiguredStore } from '../store/open.js'
import { type KeyRingSource, watchedKeyRing } from '../token/keyring-source.js'
import { createApp } from './app.js'
import { answerClientErrors } from './client-error.js'
import type { Clock } from './clock.js'
import { loadConfig, type ServiceConfig } from './config.js'
import { startJobs } from './jobs.js'
import { keyRingPath, loadOrCreateKeyRing } from './keyring-file.js'
import { createLogger } from './logger.js'

/** Options of {@link startServer}; each overrides the environment. */
export interface StartServerOptions {
  /** Port (0 = any free port). Default: `PORT` or 8080. */
  port?: number
  /** Interface. Default: `HOST` or 127.0.0.1. */
  host?: string
  /** Data directory. Default: `CRUMB_DATA_DIR` or ./data. */
  dataDir?: string
  /** Environment to configure from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Logger to use instead of JSON lines on stdout. */
  logger?: Logger
  /** Clock (tests). */
  clock?: Clock
}

/** A running token service. */
export interface RunningServer {
  /** `http://127.0.0.1:8080` — with the actual port when 0 was asked for. */
  readonly url: string
  readonly port: number
  readonly config: ServiceConfig
  /**
   * Stops accepting connections, answers open long-polls, lets in-flight requests finish (up to
   * `CRUMB_SHUTDOWN_TIMEOUT`), stops the jobs, writes pending usage and closes the database.
   */
  close(): Promise<void>
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

/**
 * Starts the token service: opens (and migrates) `$CRUMB_DATA_DIR/crumb.db`, loads or generates
 * the key ring, listens, and starts the background jobs. Installs no signal handlers (main does).
 * Throws a `ConfigError` naming the variable when the environment is invalid.
 *
 * @example
 * const server = await startServer({ port: 0, dataDir: tmp })
 * console.log(server.url)
 * await server.close()
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const base = loadConfig(options.env ?? process.env)
  const config: ServiceConfig = {
    ...base,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  }
  const logger = options.logger ?? createLogger({ level: config.logLevel })
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const keyring = loadOrCreateKeyRing(keyRingPath(config), new Date(), {
    allowInsecureMode: config.keyringAllowInsecureMode,
  })
  if (keyring.created) logger.info({ path: keyring.path }, 'generated a new key ring')
  if (keyring.warning !== undefined) logger.warn(keyring.warning)
  const store = await openConfiguredStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    // the message only: the URL (with its password) stays out of the log
    onConnectionError: (err) => logger.warn({ error: err.message }, 'database connection lost; reconnecting'),
  })
  let keys: KeyRingSource | undefined
  let app: ReturnType<typeof createApp>
  try {
    // `crumb keyring rotate` / `retire` rewrite the file: the service follows without a restart.
    keys = watchedKeyRing(keyring.path, {
      // Kids and counts only: what an operator needs to see the change was taken up.
      onChange: (ring) =>
        logger.info(
          {
            path: keyring.path,
            primary: ring.primary,
            retired: [...ring.keys.values()].filter((k) => k.retiredAt !== undefined).map((k) => k.kid),
          },
          'key ring reloaded',
        ),
      onError: (error) =>
        logger.warn({ path: keyring.path, error: error.message }, 'key ring change ignored'),
    })
    app = createApp({
      store,
      ring: keys,
      config,
      logger,
      ...(options.clock ? { clock: options.clock } : {}),
    })
  } catch (e) {
    keys?.close()
    await store.close()
    throw e
  }
  const watched = keys
  const server = createServer(app)
  server.keepAliveTimeout = 5000
  answerClientErrors(server)
  const inFlight = new Set<ServerResponse>()
  let draining = false
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining && !res.headersSent) res.setHeader('Connection', 'close')
    inFlight.add(res)
    res.once('close', () => inFlight.delete(res))
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.port, config.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (e) {
    watched.close()
    await app.service.close()
    await store.close()
    throw e
  }
  const port = (server.address() as AddressInfo).port
  const url = `http://${urlHost(config.host)}:${port}`
  app.service.usage.start(config.usageFlushIntervalMs)
  const jobs = startJobs(app.service, config.jobIntervalMs)
  logger.info({ url, dataDir: config.dataDir, engine: store.engine }, 'crumb token service listening')

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()))
      // requests still running (the long-polls about to be answered) end their connection with
      // the response, so a keep-alive client does not hold the drain until keepAliveTimeout
      draining = true
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close')
      app.service.feed.close() // open long-polls answer now
      server.closeIdleConnections()
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          server.closeAllConnections()
          resolve()
        }, config.shutdownTimeoutMs)
      })
      await Promise.race([drained, timeout])
      clearTimeout(timer)
      await jobs.stop()
      watched.close()
      await app.service.close()
      await store.close()
      logger.info('crumb token service stopped')
    })()
    return closing
  }
  return { url, port, config, close }
}
