import { build, type Running, SERVER_MAIN, startProcess, tempDataDir } from '../../verifier/e2e/processes.js'

export { build, tempDataDir }

/**
 * Starts a real token service process (`dist/src/server/main.js`) on a loopback port, on the
 * PostgreSQL database `databaseUrl`; `keyring` names a key ring file shared with other instances
 * (default: generated in its own data folder).
 *
 * @example
 * const a = await startPostgresInstance(db.url, dirA)
 * const b = await startPostgresInstance(db.url, dirB, join(dirA, 'keyring.json'))
 */
export function startPostgresInstance(
  databaseUrl: string,
  dataDir: string,
  keyring?: string,
  env: Record<string, string> = {},
): Promise<Running> {
  return startProcess(
    SERVER_MAIN,
    {
      PORT: '0',
      HOST: '127.0.0.1',
      CRUMB_DATA_DIR: dataDir,
      CRUMB_DATABASE_URL: databaseUrl,
      CRUMB_LOG_LEVEL: 'warn',
      CRUMB_KEY_CREATE_LIMIT: '100000',
      CRUMB_REGISTER_LIMIT: '100000',
      ...(keyring === undefined ? {} : { CRUMB_KEYRING: keyring }),
      ...env,
    },
    { name: 'token service (postgres)' },
  )
}

/** One JSON call: status, parsed body, headers. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
  } catch {
    body = { text }
  }
  return { status: res.status, body, headers: res.headers }
}
