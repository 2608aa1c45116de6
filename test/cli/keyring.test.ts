import { spawnSync } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inspectToken } from '../../src/token/inspect.js'
import { callApi, registerViaApi } from '../helpers/http.js'
import { type CliResult, ensureBuilt, isolatedEnv, runCli, type Service, startService } from './helpers.js'

/**
 * `crumb keyring ls | rotate | retire`: the operator's lever on the service's signing keys, run
 * as the real CLI against the key ring file of a real, running token service, which follows the
 * file without a restart.
 */

interface RingView {
  path: string
  primary: string
  keys: { kid: string; primary: boolean; created_at: string; retired_at: string | null }[]
}

let work: string
let dataDir: string
let service: Service
let env: NodeJS.ProcessEnv

const kidOf = (token: string): string | undefined => inspectToken(token).identifier?.kid

async function keyring(args: readonly string[]): Promise<CliResult> {
  return runCli(['keyring', ...args, '--data-dir', dataDir], env)
}

async function ringView(): Promise<RingView> {
  const result = await keyring(['ls', '--json'])
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as RingView
}

/** Secrets in the key ring file right now: none may appear in any output. */
async function secrets(): Promise<string[]> {
  const file = JSON.parse(await readFile(join(dataDir, 'keyring.json'), 'utf8')) as {
    keys: { secret: string }[]
  }
  return file.keys.map((k) => k.secret)
}

function expectNoSecret(result: CliResult, known: readonly string[]): void {
  for (const secret of known) {
    expect(result.stdout).not.toContain(secret)
    expect(result.stderr).not.toContain(secret)
  }
}

/** Polls until `check` passes (the service re-reads the file every 2 s). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

const whoamiStatus = async (token: string): Promise<number> =>
  (await callApi(service.url, 'GET', '/v1/whoami', { token })).status

beforeAll(async () => {
  ensureBuilt()
  work = await mkdtemp(join(tmpdir(), 'crumb-cli-keyring-'))
  dataDir = join(work, 'data')
  env = isolatedEnv(join(work, 'home'))
})

afterAll(async () => {
  await service?.stop()
  await rm(work, { recursive: true, force: true })
})

describe('crumb keyring', () => {
  it('says where it looked when there is no key ring yet, and exits 1', async () => {
    const result = await keyring(['ls'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('not_found')
    expect(result.stderr).toContain(join(dataDir, 'keyring.json'))
    expect(result.stderr).toContain('crumb serve')
  })

  it('rotates and retires signing keys of a running service, which follows without a restart', async () => {
    service = await startService(dataDir)
    const first = await ringView()
    expect(first.keys).toHaveLength(1)
    expect(first.keys[0]).toMatchObject({ kid: first.primary, primary: true, retired_at: null })
    const oldKid = first.primary
    const token = await registerViaApi(service.url, 'ops@example.com')
    expect(kidOf(token)).toBe(oldKid)

    // The primary cannot be retired: every new token would fail.
    const refused = await keyring(['retire', oldKid])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('validation_failed')
    expect(refused.stderr).toContain('crumb keyring rotate')

    const rotated = await keyring(['rotate'])
    expect(rotated.code, rotated.stderr).toBe(0)
    const second = await ringView()
    expect(second.primary).not.toBe(oldKid)
    expect(rotated.stdout).toContain(second.primary)
    expect(second.keys.map((k) => k.kid).sort()).toEqual([oldKid, second.primary].sort())
    expect((await stat(join(dataDir, 'keyring.json'))).mode & 0o777).toBe(0o600)

    // The running service signs new keys with the new primary; the old token still works.
    let fresh = ''
    await eventually(async () => {
      const created = await callApi(service.url, 'POST', '/v1/tokens', {
        token,
        body: { name: `ci-${Date.now()}` },
      })
      expect(created.status).toBe(201)
      fresh = created.body.token as string
      return kidOf(fresh) === second.primary
    }, 'the service signs with the new primary')
    expect(await whoamiStatus(token)).toBe(200)

    const retired = await keyring(['retire', oldKid])
    expect(retired.code, retired.stderr).toBe(0)
    expect(retired.stdout).toContain(oldKid)
    const third = await ringView()
    expect(third.keys.find((k) => k.kid === oldKid)?.retired_at).toEqual(expect.any(String))

    // Tokens signed with the retired key stop working; those of the new key keep working.
    await eventually(async () => (await whoamiStatus(token)) === 401, 'the old token is refused')
    expect(await whoamiStatus(fresh)).toBe(200)

    const again = await keyring(['retire', oldKid])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('already retired')

    const human = await keyring(['ls'])
    expect(human.stdout).toMatch(new RegExp(`${second.primary}\\s+primary`))
    expect(human.stdout).toMatch(new RegExp(`${oldKid}\\s+retired`))

    // The service's log says it took each change up, naming kids only.
    const reloads = service
      .output()
      .split('\n')
      .filter((line) => line.includes('key ring reloaded'))
    expect(reloads.some((line) => line.includes(second.primary))).toBe(true)
    expect(reloads.some((line) => line.includes(`"retired":["${oldKid}"]`))).toBe(true)

    const known = await secrets()
    for (const result of [rotated, refused, retired, again, human]) expectNoSecret(result, known)
    for (const secret of known) expect(service.output()).not.toContain(secret)
  })

  it('never echoes a key ring given as JSON rather than a path', async () => {
    const json = await readFile(join(dataDir, 'keyring.json'), 'utf8')
    const result = await runCli(['keyring', 'ls'], { ...env, CRUMB_KEYRING: json })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('config_invalid')
    expectNoSecret(result, await secrets())
  })

  it('warns when the file is readable by others, and rotation writes it back as 0600', async () => {
    const path = join(dataDir, 'keyring.json')
    await chmod(path, 0o644)
    const listed = await keyring(['ls'])
    expect(listed.code).toBe(0)
    expect(listed.stderr).toContain('should be 0600')
    expect((await keyring(['rotate'])).code).toBe(0)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await keyring(['ls'])).stderr).not.toContain('should be 0600')
  })

  it('loses no rotation when several run at once, and takes over a lock its writer left behind', async () => {
    const before = (await ringView()).keys.length
    const results = await Promise.all(Array.from({ length: 6 }, () => keyring(['rotate'])))
    for (const result of results) expect(result.code, result.stderr).toBe(0)
    expect((await ringView()).keys).toHaveLength(before + 6)

    // A writer killed mid-change leaves its lock: a dead pid does not block the next change.
    const lock = join(dataDir, 'keyring.json.lock')
    const dead = spawnSync(process.execPath, ['-e', '0']).pid
    await writeFile(lock, String(dead))
    expect((await keyring(['rotate'])).code).toBe(0)
    expect((await ringView()).keys).toHaveLength(before + 7)
    await expect(stat(lock)).rejects.toThrow()
  })

  it('waits for a live writer, then gives up with conflict and changes nothing', async () => {
    const path = join(dataDir, 'keyring.json')
    const lock = `${path}.lock`
    const before = await readFile(path, 'utf8')
    await writeFile(lock, String(process.pid))
    try {
      const result = await keyring(['rotate'])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('conflict')
      expect(await readFile(path, 'utf8')).toBe(before)
    } finally {
      await rm(lock, { force: true })
    }
  })

  it('refuses an unknown kid with not_found, a malformed one as a usage error, and changes nothing', async () => {
    const before = await readFile(join(dataDir, 'keyring.json'), 'utf8')
    const result = await keyring(['retire', 'kNoSuchKid'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('not_found')
    const malformed = await keyring(['retire', 'not a kid'])
    expect(malformed.code).toBe(2)
    expect(malformed.stderr).toContain('usage_error')
    expect(await readFile(join(dataDir, 'keyring.json'), 'utf8')).toBe(before)
  })
})
