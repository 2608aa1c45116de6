import { type ChildProcess, spawn } from 'node:child_process'

/**
 * What the service benchmarks give every token service they start: quiet logs and creation and
 * registration limits out of the way (a benchmark on loopback would otherwise measure 429s).
 */
export const BENCH_SERVICE_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  CRUMB_LOG_LEVEL: 'silent',
  CRUMB_KEY_CREATE_LIMIT: '1000000',
  CRUMB_REGISTER_LIMIT: '1000000',
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
