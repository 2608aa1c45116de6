import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/server/config.js'
import { keyRingPath, loadOrCreateKeyRing, rotateKeyRingFile } from '../../src/server/keyring-file.js'

const dirs: string[] = []
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'crumb-cfg-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('configuration from the environment', () => {
  it('has defaults', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: './data',
      keyringPath: undefined,
      publicUrl: undefined,
      tokenTtlMs: 90 * 86_400_000,
      tokenMaxTtlMs: 365 * 86_400_000,
      keyCreateLimit: 10,
      loginLimit: 10,
      rotationMaxGraceMs: 86_400_000,
    })
  })

  it('reads values', () => {
    const c = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      CRUMB_DATA_DIR: '/srv/crumb',
      CRUMB_KEYRING: '/etc/crumb/ring.json',
      CRUMB_PUBLIC_URL: 'https://crumb.example/',
      CRUMB_TOKEN_TTL: '30d',
      CRUMB_KEY_CREATE_LIMIT: '100',
      CRUMB_TRUST_PROXY: '1',
    })
    expect(c).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/srv/crumb',
      keyringPath: '/etc/crumb/ring.json',
      publicUrl: 'https://crumb.example',
      tokenTtlMs: 30 * 86_400_000,
      keyCreateLimit: 100,
      trustProxy: 1,
    })
  })

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['CRUMB_TOKEN_TTL', '90 days'],
    ['CRUMB_PUBLIC_URL', 'ftp://x'],
    ['CRUMB_LOG_LEVEL', 'loud'],
    ['CRUMB_KEY_CREATE_LIMIT', '-1'],
    ['CRUMB_KEYRING', '{"primary":"k1","keys":[]}'],
  ])('a bad %s stops start-up naming the variable', (name, value) => {
    let error: unknown
    try {
      loadConfig({ [name]: value })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).variables).toEqual([name])
    expect((error as Error).message).toContain(name)
    expect((error as Error).message).not.toContain(value)
  })

  it('refuses a default lifetime above the maximum', () => {
    expect(() => loadConfig({ CRUMB_TOKEN_TTL: '400d' })).toThrow(/CRUMB_TOKEN_TTL/)
  })

  it('refuses timer intervals a Node timer cannot hold (over 24 days would fire at once)', () => {
    for (const name of ['CRUMB_JOB_INTERVAL', 'CRUMB_USAGE_FLUSH_INTERVAL', 'CRUMB_SHUTDOWN_TIMEOUT']) {
      expect(() => loadConfig({ [name]: '25d' }), name).toThrow(new RegExp(name))
      expect(() => loadConfig({ [name]: '24d' }), name).not.toThrow()
    }
  })

  it('parses durations in the shared grammar (compounds too)', () => {
    expect(loadConfig({ CRUMB_TOKEN_TTL: '30d' }).tokenTtlMs).toBe(30 * 86_400_000)
    expect(loadConfig({ CRUMB_REVOKED_RETENTION: '0s' }).revokedRetentionMs).toBe(0)
    expect(loadConfig({ CRUMB_LEEWAY: '1m30s' }).leewayMs).toBe(90_000)
    expect(() => loadConfig({ CRUMB_LEEWAY: '1.5m' })).toThrow(ConfigError)
  })
})

describe('key ring file', () => {
  it('is generated on first start with mode 0600 and reloaded after', () => {
    const dir = tmp()
    const path = keyRingPath({ dataDir: dir, keyringPath: undefined })
    const first = loadOrCreateKeyRing(path)
    expect(first.created).toBe(true)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const again = loadOrCreateKeyRing(path)
    expect(again.created).toBe(false)
    expect(again.ring.primary).toBe(first.ring.primary)
    expect(JSON.parse(readFileSync(path, 'utf8')).keys).toHaveLength(1)
  })

  it('CRUMB_KEYRING overrides the location', () => {
    const dir = tmp()
    expect(keyRingPath({ dataDir: dir, keyringPath: join(dir, 'elsewhere.json') })).toBe(
      join(dir, 'elsewhere.json'),
    )
  })

  it('refuses a readable file unless told to use it (then warns), and a broken one without echoing it', () => {
    const dir = tmp()
    const path = join(dir, 'keyring.json')
    loadOrCreateKeyRing(path)
    chmodSync(path, 0o644)
    // #15 item 12: refused unless CRUMB_KEYRING_ALLOW_INSECURE_MODE says otherwise
    expect(() => loadOrCreateKeyRing(path)).toThrow(/chmod 600/)
    expect(loadOrCreateKeyRing(path, new Date(), { allowInsecureMode: true }).warning).toMatch(/0600/)
    writeFileSync(path, '{"primary": "k1", "keys": [{"kid": "k1", "secret": "SECRETSECRET"}]}')
    let message = ''
    try {
      loadOrCreateKeyRing(path)
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toMatch(/invalid key ring/)
    expect(message).not.toContain('SECRETSECRET')
  })

  it('rotates in place: a new primary, the old kid kept', () => {
    const dir = tmp()
    const path = join(dir, 'keyring.json')
    const { ring } = loadOrCreateKeyRing(path)
    const next = rotateKeyRingFile(path)
    expect(next.primary).not.toBe(ring.primary)
    expect(loadOrCreateKeyRing(path).ring.keys.has(ring.primary)).toBe(true)
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })
})
