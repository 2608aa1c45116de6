import { type ChildProcess, spawn } from 'node:child_process'
import type autocannon from 'autocannon'

/**
 * What the service benchmarks give every token service they start: quiet logs and the abuse limits
 * (key creations, registrations, logins, public revocations per address, per token and per key) out of the
 * way: every request of a benchmark comes from 127.0.0.1, which would otherwise measure 429s.
 */
export const BENCH_SERVICE_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  CRUMB_LOG_LEVEL: 'silent',
  CRUMB_KEY_CREATE_LIMIT: '1000000',
  CRUMB_REGISTER_LIMIT: '1000000',
  // registrations and logins are not what these benchmarks measure: cheap password hashes
  CRUMB_SCRYPT_N: '1024',
  CRUMB_LOGIN_LIMIT: '1000000',
  CRUMB_REVOCATION_IP_LIMIT: '1000000',
  CRUMB_REVOCATION_TOKEN_LIMIT: '1000000',
  // the benchmarks revoke thousands of attenuations of one key: measured as pair entries, not as
  // the key revoked after the 100th (the default limit)
  CRUMB_REVOCATION_PAIR_LIMIT: '1000000',
}

/**
 * Starts a token service (`args` after `node`, e.g. a built `dist/src/server/main.js`) with `env`
 * over {@link BENCH_SERVICE_ENV}; resolves with its URL once it says it is listening.
 *
 * @example
 * const { url, child } = await launchService([join(root, 'dist/src/server/main.js')], { CRUMB_DATA_DIR: dir }, root)
 */
export function launchService(
  args: readonly string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...args], {
    ...(cwd === undefined ? {} : { cwd }),
    env: { ...process.env, ...BENCH_SERVICE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolveUrl, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /crumb listening on (http:\/\/\S+)/.exec(out)
      if (m?.[1]) resolveUrl({ url: m[1], child })
    })
    child.once('exit', (code) => reject(new Error(`server (${args.join(' ')}) exited with ${code}`)))
  })
}

/**
 * The `p`th percentile (nearest rank) of ascending `sorted`; NaN when empty.
 *
 * @example
 * percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

/**
 * An autocannon request revoking a token by possession (`POST /v1/revocations`), each request the
 * token `next` returns.
 *
 * @example
 * autocannon({ url, amount: minted.length, requests: [revocationRequest(() => minted[k++]!)] })
 */
export function revocationRequest(next: () => string): autocannon.Request {
  return {
    method: 'POST',
    path: '/v1/revocations',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ token: next() }) }),
  }
}
