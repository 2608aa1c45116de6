import { statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/server/config.js'
import { startServer } from '../../src/server/start.js'
import { registerViaApi } from '../helpers/http.js'
import { quietLogger, useTempDirs } from './helpers.js'

const tempDir = useTempDirs('crumb-start-')
const quiet = quietLogger()

describe('startServer', () => {
  it('listens on an ephemeral port, creates the database and key ring, and serves', async () => {
    const dir = tempDir()
    const server = await startServer({ port: 0, dataDir: join(dir, 'data'), env: {}, logger: quiet })
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
      expect(statSync(join(dir, 'data', 'keyring.json')).mode & 0o777).toBe(0o600)
      expect(statSync(join(dir, 'data', 'crumb.db')).isFile()).toBe(true)
      const health = await fetch(`${server.url}/healthz`)
      expect(health.status).toBe(200)
      await registerViaApi(server.url, 'start@example.com')
    } finally {
      await server.close()
    }
  })

  it('close() answers open long-polls, drains, and closes the database', async () => {
    const dir = tempDir()
    const server = await startServer({ port: 0, dataDir: dir, env: {}, logger: quiet })
    const token = await registerViaApi(server.url, 'drain@example.com')
    const started = Date.now()
    const poll = fetch(`${server.url}/v1/revocations?since=0&wait=30`, {
      headers: { authorization: `Bearer ${token}` },
    })
    await new Promise((r) => setTimeout(r, 200))
    await server.close()
    const res = await poll
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(5000)
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
  })

  it('a bad environment stops start-up naming the variable', async () => {
    await expect(startServer({ env: { PORT: 'x' }, logger: quiet })).rejects.toBeInstanceOf(ConfigError)
    await expect(startServer({ env: { CRUMB_TOKEN_MAX_TTL: 'forever' }, logger: quiet })).rejects.toThrow(
      /CRUMB_TOKEN_MAX_TTL/,
    )
  })
})
