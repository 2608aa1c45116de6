import { type FSWatcher, readFileSync, type Stats, statSync, unwatchFile, watch, watchFile } from 'node:fs'
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

/** What identifies one version of the file: a rename-based write changes the inode, an in-place one the mtime. */
const versionOf = (stats: Pick<Stats, 'ino' | 'mtimeMs' | 'size'>): string =>
  `${stats.ino}:${stats.mtimeMs}:${stats.size}`

/**
 * A key ring read from a file now (failing now if it is missing) and re-read when the file changes,
 * so a rotation or retirement (`crumb keyring`) applies without a restart. Changes are noticed at
 * once through a watch on the file, and by polling every 2 s where such watches are not delivered
 * (network file systems, some container mounts).
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
  let seen = versionOf(statSync(path))
  const reload = (): void => {
    let version: string
    try {
      version = versionOf(statSync(path))
    } catch {
      return // between an unlink and a rename, or removed: keep the last good ring
    }
    if (version === seen) return
    seen = version
    try {
      current = readKeyRing(path)
    } catch (error) {
      options.onError?.(error as Error)
      return
    }
    options.onChange?.(current)
  }
  // Watch the file, not its folder: the folder may hold a busy database. A rename-based write leaves
  // the watch on the old file, so every event re-arms it on whatever the path now names.
  let watcher: FSWatcher | undefined
  let closed = false
  const arm = (): void => {
    watcher?.close()
    watcher = undefined
    if (closed) return
    try {
      watcher = watch(path, { persistent: false }, () => {
        reload()
        arm()
      })
      watcher.on('error', () => {
        watcher?.close()
        watcher = undefined
      })
    } catch {
      // Missing for a moment, or no watches on this file system: the poll covers it, and re-arms.
    }
  }
  arm()
  const poll = (): void => {
    reload()
    if (watcher === undefined) arm()
  }
  watchFile(path, { interval: options.intervalMs ?? 2_000, persistent: false }, poll)
  return {
    get current() {
      return current
    },
    close: () => {
      closed = true
      watcher?.close()
      unwatchFile(path, poll)
    },
  }
}
