import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { CrumbError } from '../errors.js'
import { generateKeyRing, type KeyRing, retireKey, rotateKeyRing, serializeKeyRing } from '../token/index.js'
import { readKeyRing } from '../token/keyring-source.js'
import { ConfigError } from './config.js'

/** What {@link loadOrCreateKeyRing} found or made. */
export interface LoadedKeyRing {
  readonly ring: KeyRing
  readonly path: string
  /** True when this call generated the file. */
  readonly created: boolean
  /** Set when an existing file is readable by group or others (it should be mode 0600). */
  readonly warning?: string
}

/**
 * Where the key ring lives: `CRUMB_KEYRING` when set, else `$CRUMB_DATA_DIR/keyring.json`.
 *
 * @example
 * keyRingPath({ dataDir: './data', keyringPath: undefined }) // 'data/keyring.json'
 */
export function keyRingPath(config: { dataDir: string; keyringPath: string | undefined }): string {
  return config.keyringPath ?? join(config.dataDir, 'keyring.json')
}

/** Flushes a directory, so a file just linked or renamed into it is there after a crash. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Writes the ring to a fresh temporary file beside `path` (mode 0600, on disk before it returns). */
function writeTemp(path: string, ring: KeyRing): string {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, `${JSON.stringify(serializeKeyRing(ring), null, 2)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return tmp
}

function writeNew(path: string, ring: KeyRing): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = writeTemp(path, ring)
  try {
    // link() fails if the target exists: two processes starting at once agree on one ring
    linkSync(tmp, path)
    syncDir(dirname(path))
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  } finally {
    unlinkSync(tmp)
  }
}

/** Replaces the file with `ring` atomically: readers see the old ring or the new one, never half. */
function replace(path: string, ring: KeyRing): void {
  const tmp = writeTemp(path, ring)
  try {
    renameSync(tmp, path)
  } catch (e) {
    rmSync(tmp, { force: true }) // never mask the rename's error with the clean-up's
    throw e
  }
  syncDir(dirname(path))
}

/**
 * Loads the key ring file, generating it (mode 0600, atomically) on first start. A file readable by
 * group or others is refused (ConfigError) unless `allowInsecureMode` (CRUMB_KEYRING_ALLOW_INSECURE_MODE)
 * says to use it anyway, with a warning.
 *
 * @example
 * const { ring, created } = loadOrCreateKeyRing('./data/keyring.json')
 */
export function loadOrCreateKeyRing(
  path: string,
  now: Date = new Date(),
  options: { readonly allowInsecureMode?: boolean } = {},
): LoadedKeyRing {
  let created = false
  try {
    statSync(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    created = writeNew(path, generateKeyRing(now))
  }
  const ring = readKeyRing(path)
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) !== 0) {
    if (options.allowInsecureMode !== true) {
      throw new ConfigError(
        `key ring ${path} has mode ${mode.toString(8)}: it holds secrets that mint any token, so others must ` +
          'not read it. Run chmod 600 on it, or set CRUMB_KEYRING_ALLOW_INSECURE_MODE=true to use it anyway',
        ['CRUMB_KEYRING', 'CRUMB_KEYRING_ALLOW_INSECURE_MODE'],
      )
    }
    return {
      ring,
      path,
      created,
      warning: `key ring ${path} has mode ${mode.toString(8)}; it holds secrets and should be 0600`,
    }
  }
  return { ring, path, created }
}

/** How long a change waits for another writer's lock before giving up. */
const LOCK_WAIT_MS = 5_000

/** Whether the process that wrote `lock` is gone (a writer killed mid-change leaves its lock behind). */
function lockIsStale(lock: string): boolean {
  let pid: number
  try {
    pid = Number(readFileSync(lock, 'utf8'))
  } catch {
    return false // gone already, or being written: try again
  }
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/**
 * Runs a read-modify-write of the ring file with `<path>.lock` held (it names the writer's pid),
 * so two changes at once cannot lose one: a rotation lost after the service had started signing
 * with it would break every token signed since.
 */
function withLock<T>(path: string, change: () => T): T {
  const lock = `${path}.lock`
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600)
      try {
        writeSync(fd, String(process.pid))
      } finally {
        closeSync(fd)
      }
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      if (lockIsStale(lock)) {
        unlinkSync(lock)
        continue
      }
      if (Date.now() > deadline)
        throw new CrumbError('conflict', `another change to the key ring holds ${lock}`)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50)
    }
  }
  try {
    return change()
  } finally {
    unlinkSync(lock)
  }
}

/**
 * Rotates the ring in the file: adds a fresh primary (older kids keep verifying) and rewrites the
 * file atomically with mode 0600. A running token service and verifiers watching the file start
 * using it at once (2 s at most where the file system sends no watch events; see `watchedKeyRing`).
 *
 * @example
 * const ring = rotateKeyRingFile('./data/keyring.json')
 */
export function rotateKeyRingFile(path: string, now: Date = new Date()): KeyRing {
  return withLock(path, () => {
    const next = rotateKeyRing(readKeyRing(path), now)
    replace(path, next)
    return next
  })
}

/**
 * Retires a kid in the file: every token minted under it stops verifying, on the token service
 * and on verifiers watching the file, at once (2 s at most without watch events). The primary
 * cannot be retired (rotate first).
 *
 * @example
 * retireKeyInFile('./data/keyring.json', 'kOldKid12')
 */
export function retireKeyInFile(path: string, kid: string, now: Date = new Date()): KeyRing {
  return withLock(path, () => {
    const next = retireKey(readKeyRing(path), kid, now)
    replace(path, next)
    return next
  })
}
