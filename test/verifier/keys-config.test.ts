import { mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configFromEnv } from '../../examples/deploy-api/config.js'
import { generateKeyRing, rotateKeyRing, serializeKeyRing } from '../../src/token/index.js'
import { readKeyRing, watchedKeyRing } from '../../src/verifier/index.js'
import { eventually } from './helpers.js'

describe('key ring sources', () => {
  it('reads a key ring from a file or from its JSON text', () => {
    const ring = generateKeyRing()
    const json = JSON.stringify(serializeKeyRing(ring))
    const path = join(mkdtempSync(join(tmpdir(), 'crumb-keys-')), 'keyring.json')
    writeFileSync(path, json)
    expect(readKeyRing(path).primary).toBe(ring.primary)
    expect(readKeyRing(json).primary).toBe(ring.primary)
    expect(() => readKeyRing('{not json')).toThrow(/not JSON/)
  })

  it('picks up a rotation written to the file, and keeps the last good ring on a bad write', async () => {
    const ring = generateKeyRing()
    const path = join(mkdtempSync(join(tmpdir(), 'crumb-keys-')), 'keyring.json')
    writeFileSync(path, JSON.stringify(serializeKeyRing(ring)))
    const errors: Error[] = []
    const source = watchedKeyRing(path, { intervalMs: 20, onError: (e) => errors.push(e) })
    try {
      const rotated = rotateKeyRing(ring)
      await new Promise((resolve) => setTimeout(resolve, 30))
      writeFileSync(path, JSON.stringify(serializeKeyRing(rotated)))
      await eventually(() => source.current.primary === rotated.primary, 3_000)
      writeFileSync(path, '{"primary": "broken"')
      await eventually(() => errors.length > 0, 3_000)
      expect(source.current.primary).toBe(rotated.primary)
      expect(errors[0]?.message).not.toMatch(/[A-Za-z0-9_-]{43}/)
    } finally {
      source.close()
    }
  })

  it('takes up a ring written by rename at once, without waiting for the poll', async () => {
    const ring = generateKeyRing()
    const path = join(mkdtempSync(join(tmpdir(), 'crumb-keys-')), 'keyring.json')
    writeFileSync(path, JSON.stringify(serializeKeyRing(ring)))
    const changes: string[] = []
    // A poll this slow cannot be what notices the change within the test's wait.
    const source = watchedKeyRing(path, { intervalMs: 600_000, onChange: (r) => changes.push(r.primary) })
    try {
      const replace = (next: typeof ring): void => {
        writeFileSync(`${path}.tmp`, JSON.stringify(serializeKeyRing(next)))
        renameSync(`${path}.tmp`, path)
      }
      const rotated = rotateKeyRing(ring)
      replace(rotated)
      await eventually(() => source.current.primary === rotated.primary, 5_000)
      // The watch followed the rename onto the new file: a second change is seen as soon.
      const again = rotateKeyRing(rotated)
      replace(again)
      await eventually(() => source.current.primary === again.primary, 5_000)
      expect(changes).toEqual([rotated.primary, again.primary])
    } finally {
      source.close()
    }
  })
})

describe('deploy-api configuration', () => {
  const base = { CRUMB_SERVER: 'http://127.0.0.1:8080', CRUMB_SERVICE_TOKEN: 'crumb_svc' }

  it('is local mode with CRUMB_KEYRING, remote with CRUMB_MODE=remote', () => {
    const local = configFromEnv({ ...base, CRUMB_KEYRING: '/data/keyring.json', PORT: '0' })
    expect(local).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      verifier: { mode: 'local', keys: '/data/keyring.json' },
    })
    const remote = configFromEnv({ ...base, CRUMB_MODE: 'remote' })
    expect(remote.verifier).toMatchObject({
      mode: 'remote',
      server: base.CRUMB_SERVER,
      serviceToken: 'crumb_svc',
    })
    expect(remote.verifier.keys).toBeUndefined()
    expect(remote.port).toBe(8080)
  })

  it('refuses an incomplete environment without echoing values', () => {
    expect(() => configFromEnv(base)).toThrow(/CRUMB_KEYRING|CRUMB_MODE/)
    expect(() => configFromEnv({ ...base, CRUMB_MODE: 'local' })).toThrow(/CRUMB_KEYRING/)
    expect(() => configFromEnv({ CRUMB_MODE: 'remote', CRUMB_SERVER: base.CRUMB_SERVER })).toThrow(
      /CRUMB_SERVICE_TOKEN/,
    )
    expect(() => configFromEnv({ ...base, CRUMB_MODE: 'remote', PORT: 'eighty' })).toThrow(/PORT/)
    expect(() => configFromEnv({ ...base, CRUMB_SERVER: 'not a url', CRUMB_MODE: 'remote' })).toThrow(
      /CRUMB_SERVER/,
    )
  })
})
