import { readFileSync, unwatchFile, watchFile } from 'node:fs'
import { CrumbError } from '../errors.js'
import { type KeyRing, parseKeyRing } from './keyring.js'

/**
 * Where a key ring comes from (for a local-mode verifier, or the token service itself);
 * `current` is always the latest good ring.
 *
 * @example
 * const source: KeyRingSource = watchedKeyRing(path)
 * verifyToken(token, { keys: source.current })
 */
export interface KeyRingSource {
  readonly current: KeyRing
  close(): void
}

/**
 * Reads a key ring given as text: a path to a key ring file, or the file's JSON itself.
 * Throws `validation_failed` (naming the path, never a secret) when it is missing or invalid.
 *
 * @example
 * const ring = readKeyRing('/var/lib/crumb/keyring.json')
 */
export function readKeyRing(pathOrJson: string): KeyRing {
  const text = pathOrJson.trimStart()
  if (text.startsWith('{')) return parseKeyRingText(text, 'key ring JSON')
  let content: string
  try {
    content = readFileSync(pathOrJson, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new CrumbError('validation_failed', `cannot read key ring file ${pathOrJson} (${code})`, {
      cause: error,
    })
  }
  return parseKeyRingText(content, `key ring file ${pathOrJson}`)
}

function parseKeyRingText(text: string, what: string): KeyRing {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new CrumbError('validation_failed', `${what} is not JSON`)
  }
  return parseKeyRing(json)
}

/**
 * A key ring that never changes.
 *
 * @example
 * const source = staticKeyRing(ring)
 */
export function staticKeyRing(ring: KeyRing): KeyRingSource {
  return { current: ring, close: () => {} }
}

/**
 * A key ring read from a file now (failing now if it is missing) and re-read when the file changes
 * (checked every 2 s), so a rotation or retirement (`crumb keyring`) applies without a restart.
 * Each ring taken up is reported through `onChange`; a change that does not parse keeps the
 * previous ring and is reported through `onError`.
 *
 * @example
 * const source = watchedKeyRing('/var/lib/crumb/keyring.json', { onError: (e) => log.warn(e.message) })
 * verifyToken(token, { keys: source.current })
 */
export function watchedKeyRing(
  path: string,
  options: { intervalMs?: number; onChange?: (ring: KeyRing) => void; onError?: (error: Error) => void } = {},
): KeyRingSource {
  let current = readKeyRing(path)
  const listener = (now: { mtimeMs: number }, before: { mtimeMs: number }): void => {
    if (now.mtimeMs === before.mtimeMs || now.mtimeMs === 0) return
    try {
      current = readKeyRing(path)
    } catch (error) {
      options.onError?.(error as Error)
      return
    }
    options.onChange?.(current)
  }
  watchFile(path, { interval: options.intervalMs ?? 2_000, persistent: false }, listener)
  return {
    get current() {
      return current
    },
    close: () => unwatchFile(path, listener),
  }
}
