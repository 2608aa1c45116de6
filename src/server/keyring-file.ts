import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { CrumbError } from '../errors.js'
import {
  generateKeyRing,
  type KeyRing,
  parseKeyRing,
  rotateKeyRing,
  serializeKeyRing,
} from '../token/index.js'

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

function writeNew(path: string, ring: KeyRing): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(tmp, `${JSON.stringify(serializeKeyRing(ring), null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  try {
    // link() fails if the target exists: two processes starting at once agree on one ring
    linkSync(tmp, path)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  } finally {
    unlinkSync(tmp)
  }
}

function readRing(path: string): KeyRing {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    // never echo the file's content, nor keep the parse error (its message quotes it): it holds secrets
    throw new CrumbError('validation_failed', `key ring ${path} is not valid JSON`)
  }
  return parseKeyRing(json)
}

/**
 * Loads the key ring file, generating it (mode 0600, atomically) on first start.
 *
 * @example
 * const { ring, created } = loadOrCreateKeyRing('./data/keyring.json')
 */
export function loadOrCreateKeyRing(path: string, now: Date = new Date()): LoadedKeyRing {
  let created = false
  try {
    statSync(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    created = writeNew(path, generateKeyRing(now))
  }
  const ring = readRing(path)
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) !== 0) {
    return {
      ring,
      path,
      created,
      warning: `key ring ${path} has mode ${mode.toString(8)}; it holds secrets and should be 0600`,
    }
  }
  return { ring, path, created }
}

/**
 * Rotates the ring in the file: adds a fresh primary (older kids keep verifying) and rewrites the
 * file atomically with mode 0600. Running servers pick it up on restart.
 *
 * @example
 * const ring = rotateKeyRingFile('./data/keyring.json')
 */
export function rotateKeyRingFile(path: string, now: Date = new Date()): KeyRing {
  const next = rotateKeyRing(readRing(path), now)
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(tmp, `${JSON.stringify(serializeKeyRing(next), null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  renameSync(tmp, path)
  return next
}
