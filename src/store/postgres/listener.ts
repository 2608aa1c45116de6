import pg from 'pg'

/** What a {@link listenToChannel} listener reports. */
export interface ChannelHandlers {
  /** A notification's payload (delivered only once the notifying transaction committed). */
  onNotify(payload: string): void
  /**
   * The listener is (again) listening. Notifications sent while it was not are lost, so the caller
   * re-reads what it follows from the table here — once per (re)connect, never on a timer.
   */
  onListening(): void
  /** The connection failed or dropped; the listener retries by itself. */
  onError?(err: Error): void
}

/** Options of {@link listenToChannel}. */
export interface ListenOptions {
  /** Giving up on one connection attempt. Default 2000 ms. */
  connectionTimeoutMs?: number
  /** First retry delay after a failure, doubled up to {@link ListenOptions.maxRetryMs}. Default 100 ms. */
  retryMs?: number
  /** Longest retry delay. Default 2000 ms. */
  maxRetryMs?: number
  /** `application_name` of the listening connection. Default `crumb-listen`. */
  applicationName?: string
}

/** A running listener: {@link ChannelListener.close} stops it. */
export interface ChannelListener {
  /** True while the connection is up and `LISTEN` has been acknowledged. */
  readonly listening: boolean
  /** Stop listening and close the connection; no handler is called afterwards. */
  close(): Promise<void>
}

const CHANNEL = /^[a-z_][a-z0-9_]*$/

/**
 * Keep one dedicated connection (outside the pool: a pooled connection is shared and would lose
 * its `LISTEN`) listening on `channel`, reconnecting with backoff whenever it drops, for as long
 * as the process runs. This is how a revocation committed through one instance wakes the feed
 * long-polls held by every other instance within milliseconds, without polling the table.
 *
 * @example
 * const listener = listenToChannel(url, 'crumb_revocations', {
 *   onNotify: () => feed.sync(),
 *   onListening: () => feed.sync(),
 * })
 * await listener.close()
 */
export function listenToChannel(
  url: string,
  channel: string,
  handlers: ChannelHandlers,
  options: ListenOptions = {},
): ChannelListener {
  if (!CHANNEL.test(channel)) throw new Error(`bad channel name: ${channel}`)
  const baseRetry = options.retryMs ?? 100
  const maxRetry = options.maxRetryMs ?? 2000
  let client: pg.Client | undefined
  let listening = false
  let closed = false
  let retry = baseRetry
  let timer: NodeJS.Timeout | undefined

  const schedule = (): void => {
    if (closed || timer !== undefined) return
    timer = setTimeout(() => {
      timer = undefined
      void connect()
    }, retry)
    timer.unref()
    retry = Math.min(retry * 2, maxRetry)
  }

  const drop = (c: pg.Client, err: Error | undefined): void => {
    if (client !== c) return
    client = undefined
    listening = false
    c.removeAllListeners()
    c.on('error', () => {})
    void c.end().catch(() => {})
    if (err !== undefined && !closed) handlers.onError?.(err)
    schedule()
  }

  const connect = async (): Promise<void> => {
    if (closed) return
    const c = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 2000,
      keepAlive: true,
      application_name: options.applicationName ?? 'crumb-listen',
    })
    client = c
    c.on('error', (err) => drop(c, err))
    c.on('end', () => drop(c, new Error('listening connection ended')))
    c.on('notification', (msg) => {
      if (!closed && msg.channel === channel) handlers.onNotify(msg.payload ?? '')
    })
    try {
      await c.connect()
      await c.query(`LISTEN ${channel}`)
    } catch (err) {
      drop(c, err instanceof Error ? err : new Error(String(err)))
      return
    }
    if (closed || client !== c) return
    listening = true
    retry = baseRetry
    handlers.onListening()
  }

  void connect()

  return {
    get listening() {
      return listening
    },
    async close() {
      closed = true
      listening = false
      if (timer !== undefined) clearTimeout(timer)
      const c = client
      client = undefined
      if (c !== undefined) {
        c.removeAllListeners()
        c.on('error', () => {})
        await c.end().catch(() => {})
      }
    },
  }
}
