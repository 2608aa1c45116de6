import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callApi, registerViaApi } from '../helpers/http.js'
import { collect, ensureBuilt, isolatedEnv, runCli, type Service, spawnCli, startService } from './helpers.js'

/**
 * `crumb login` without a password runs the device authorization grant (RFC 8628) end to end:
 * the CLI prints a user code, the test approves (or denies) it through the API with another
 * signed-in token, and the CLI finishes.
 *
 * @see issue #4, the `crumb` CLI (`issues show 4`)
 */

let work: string
let service: Service
let approverToken: string

/** Reads the CLI's output until it has printed the user code. */
function userCodeOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`no user code printed:\n${seen}`)), 15_000)
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8')
      const match = /one-time code: (\S+)/.exec(seen)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stderr?.on('data', onData)
    child.stdout?.on('data', onData)
  })
}

beforeAll(async () => {
  ensureBuilt()
  work = await mkdtemp(join(tmpdir(), 'crumb-cli-device-'))
  service = await startService(join(work, 'data'))
  approverToken = await registerViaApi(service.url, 'grace@example.com', 'a long enough password')
})

afterAll(async () => {
  await service?.stop()
  await rm(work, { recursive: true, force: true })
})

/**
 * Runs `crumb login --device <device>` in a fresh home, approves or denies its request as the
 * approver (the approval call must succeed), and waits for the CLI to end.
 */
async function deviceLogin(
  homeName: string,
  device: string,
  approve: boolean,
): Promise<{ home: string; env: NodeJS.ProcessEnv; result: Awaited<ReturnType<typeof collect>> }> {
  const home = join(work, homeName)
  const env = isolatedEnv(home, { CRUMB_SERVER: service.url })
  const child = spawnCli(['login', '--device', device], env)
  const done = collect(child, { timeoutMs: 60_000 })
  const userCode = await userCodeOf(child)
  const decided = await callApi(service.url, 'POST', '/v1/auth/device/approve', {
    token: approverToken,
    body: { user_code: userCode, approve },
  })
  expect(decided.status).toBe(200)
  return { home, env, result: await done }
}

describe('device-flow login', () => {
  it('prints the code, waits for approval, then signs in with a key named after the device', async () => {
    const { home, env, result } = await deviceLogin('runner', 'ci-runner', true)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(new RegExp(`${service.url}\\S*`))
    expect(result.stdout).toContain('CLI login on ci-runner')
    expect(result.stdout + result.stderr).not.toMatch(/crumb_[A-Za-z0-9_-]{20,}/)

    const config = JSON.parse(await readFile(join(home, 'crumb', 'config.json'), 'utf8'))
    expect(config).toMatchObject({
      device: 'ci-runner',
      server: service.url,
      token: expect.stringMatching(/^crumb_/),
    })
    const listed = await runCli(['tokens', 'ls', '--json'], env)
    expect(listed.code, listed.stderr).toBe(0)
    const keys = JSON.parse(listed.stdout).keys as { name: string; status: string; source: string }[]
    expect(keys.filter((k) => k.name === 'CLI login on ci-runner')).toEqual([
      expect.objectContaining({ status: 'active', source: 'cli-login' }),
    ])
    const me = JSON.parse((await runCli(['whoami', '--json'], env)).stdout)
    expect(me.user.email).toBe('grace@example.com')
  })

  it('a denied request ends the CLI with access_denied (exit 1) and saves nothing', async () => {
    const { home, result } = await deviceLogin('denied', 'stolen-laptop', false)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^access_denied: /m)
    await expect(readFile(join(home, 'crumb', 'config.json'), 'utf8')).rejects.toThrow()
  })
})
