import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  configDir,
  configPath,
  DEFAULT_SERVER,
  readConfig,
  resolveSettings,
  updateConfig,
  writeConfig,
} from '../../src/cli/config.js'
import { CliError, UsageError } from '../../src/cli/errors.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crumb-config-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('config location', () => {
  it('lives under $XDG_CONFIG_HOME/crumb', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/x/y' })).toBe('/x/y/crumb/config.json')
  })

  it('falls back to ~/.config/crumb when XDG_CONFIG_HOME is unset or relative', () => {
    expect(configDir({ HOME: '/home/ada' })).toBe('/home/ada/.config/crumb')
    expect(configDir({ HOME: '/home/ada', XDG_CONFIG_HOME: 'relative/dir' })).toBe('/home/ada/.config/crumb')
  })
})

describe('reading and writing', () => {
  it('reads a missing file as an empty config', async () => {
    expect(await readConfig(join(dir, 'nope', 'config.json'))).toEqual({})
  })

  it('writes with mode 0600 in a 0700 directory, and reads back what it wrote', async () => {
    const path = join(dir, 'crumb', 'config.json')
    await writeConfig(path, { server: 'http://127.0.0.1:9', token: 'crumb_x', device: 'laptop' })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'crumb'))).mode & 0o777).toBe(0o700)
    expect(await readConfig(path)).toEqual({
      server: 'http://127.0.0.1:9',
      token: 'crumb_x',
      device: 'laptop',
    })
  })

  it('replaces the file atomically (a rename) and leaves no temp files behind', async () => {
    const path = join(dir, 'crumb', 'config.json')
    await writeConfig(path, { token: 'crumb_a' })
    const before = await stat(path)
    await updateConfig(path, (c) => ({ ...c, token: 'crumb_b', email: 'ada@example.com' }))
    const after = await stat(path)
    expect(after.ino).not.toBe(before.ino)
    expect(after.mode & 0o777).toBe(0o600)
    const { readdir } = await import('node:fs/promises')
    expect(await readdir(join(dir, 'crumb'))).toEqual(['config.json'])
    expect(await readConfig(path)).toEqual({ token: 'crumb_b', email: 'ada@example.com' })
  })

  it('tightens the mode of a file that was world-readable', async () => {
    const path = join(dir, 'config.json')
    await writeFile(path, '{}', { mode: 0o644 })
    await writeConfig(path, { token: 'crumb_a' })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
  })

  it('keeps members it does not know', async () => {
    const path = join(dir, 'config.json')
    await writeFile(path, JSON.stringify({ token: 'crumb_a', future: { x: 1 } }))
    await updateConfig(path, ({ token: _t, ...rest }) => rest)
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ future: { x: 1 } })
  })

  it('reports unreadable JSON and a wrong shape as config_invalid', async () => {
    const path = join(dir, 'config.json')
    await writeFile(path, '{nope')
    await expect(readConfig(path)).rejects.toMatchObject({ code: 'config_invalid' })
    await writeFile(path, JSON.stringify({ token: 42 }))
    await expect(readConfig(path)).rejects.toBeInstanceOf(CliError)
  })
})

describe('resolveSettings', () => {
  const config = { server: 'http://config.example:1', token: 'crumb_config', device: 'laptop' }

  it('uses the config, then the defaults', () => {
    expect(resolveSettings({ config, env: {}, serverFlag: undefined })).toMatchObject({
      server: 'http://config.example:1',
      token: 'crumb_config',
      tokenSource: 'config',
      device: 'laptop',
    })
    expect(resolveSettings({ config: {}, env: {}, serverFlag: undefined })).toMatchObject({
      server: DEFAULT_SERVER,
      serverSource: 'default',
      token: undefined,
      device: hostname(),
    })
  })

  it('lets CRUMB_TOKEN and CRUMB_SERVER override the config, and --server override both', () => {
    const env = { CRUMB_TOKEN: 'crumb_env', CRUMB_SERVER: 'http://env.example:2/' }
    expect(resolveSettings({ config, env, serverFlag: undefined })).toMatchObject({
      server: 'http://env.example:2',
      token: 'crumb_env',
      tokenSource: 'env',
    })
    expect(resolveSettings({ config, env, serverFlag: 'https://flag.example' })).toMatchObject({
      server: 'https://flag.example',
      serverSource: 'flag',
    })
  })

  it('refuses a bad --server as a usage error, a bad CRUMB_SERVER as config_invalid', () => {
    expect(() => resolveSettings({ config, env: {}, serverFlag: 'ftp://x' })).toThrow(UsageError)
    expect(() =>
      resolveSettings({ config, env: { CRUMB_SERVER: 'not a url' }, serverFlag: undefined }),
    ).toThrow(expect.objectContaining({ code: 'config_invalid' }))
  })
})
