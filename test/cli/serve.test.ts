import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collect, ensureBuilt, isolatedEnv, spawnCli } from './helpers.js'

/**
 * `crumb serve` runs the token service (what `npm start` runs) and stops cleanly on SIGTERM.
 *
 * @see issue #4, the `crumb` CLI (`issues show 4`)
 */

let work: string

beforeAll(async () => {
  ensureBuilt()
  work = await mkdtemp(join(tmpdir(), 'crumb-cli-serve-'))
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('crumb serve', () => {
  it('listens on the port asked for, answers /v1/healthz, and exits 0 on SIGTERM', async () => {
    const env = isolatedEnv(join(work, 'home'), { CRUMB_LOG_LEVEL: 'warn' })
    const child = spawnCli(
      ['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', join(work, 'data')],
      env,
    )
    const done = collect(child, { timeoutMs: 30_000 })
    const url = await new Promise<string>((resolve, reject) => {
      let seen = ''
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${seen}`)), 20_000)
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8')
        const match = /crumb listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen)
        if (match?.[1] !== undefined) {
          clearTimeout(timer)
          resolve(match[1])
        }
      })
    })
    expect((await fetch(`${url}/v1/healthz`)).status).toBe(200)
    child.kill('SIGTERM')
    const result = await done
    expect(result.code, result.stderr).toBe(0)
  })
})
