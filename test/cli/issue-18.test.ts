import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliResult, ensureBuilt, isolatedEnv, runCli, type Service, startService } from './helpers.js'

/**
 * What a new user trips over in the CLI (#18), with the built CLI against the real token service on
 * loopback. Steps share one account and run in order; each cites its item.
 */

const EMAIL = 'newcomer@example.com'
const PASSWORD = 'correct horse battery staple'

let work: string
let service: Service
let env: NodeJS.ProcessEnv

const crumb = (args: string[], input?: string, extraEnv?: NodeJS.ProcessEnv): Promise<CliResult> =>
  runCli(args, extraEnv ?? env, input === undefined ? {} : { input })

function ok(result: CliResult): CliResult {
  expect(result.code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0)
  return result
}

interface KeyJson {
  id: string
  name: string
  status: string
  grace_ends_at?: string | null
}

async function keys(): Promise<KeyJson[]> {
  return (JSON.parse(ok(await crumb(['tokens', 'ls', '--json'])).stdout) as { keys: KeyJson[] }).keys
}

/** HH:MM in UTC (the tests run the CLI with TZ=UTC). */
const hhmm = (iso: string): string => iso.slice(11, 16)

beforeAll(async () => {
  ensureBuilt()
  work = await mkdtemp(join(tmpdir(), 'crumb-cli-18-'))
  service = await startService(join(work, 'data'))
  env = isolatedEnv(join(work, 'home'), { CRUMB_SERVER: service.url, CRUMB_DEVICE: 'vm', TZ: 'UTC' })
})

afterAll(async () => {
  await service?.stop()
  await rm(work, { recursive: true, force: true })
})

describe('#18 in the CLI', { timeout: 180_000 }, () => {
  let ciToken: string

  it('register names the key after the device, so the next login replaces it — #18 item 4', async () => {
    ok(await crumb(['register', '--email', EMAIL, '--password-stdin'], `${PASSWORD}\n`))
    expect((await keys()).map((k) => k.name)).toEqual(['CLI login on vm'])
    ok(await crumb(['login', '--email', EMAIL, '--password-stdin'], `${PASSWORD}\n`))
    expect((await keys()).map((k) => k.name)).toEqual(['CLI login on vm'])
  })

  it('register with a taken email points at crumb login — #18 item 11', async () => {
    const taken = await crumb(['register', '--email', EMAIL, '--password-stdin'], `${PASSWORD}\n`)
    expect(taken.code).toBe(1)
    expect(taken.stderr).toContain('crumb login')
  })

  it('the last key: each message once, hint once — #18 item 7', async () => {
    const [only] = await keys()
    const refused = await crumb(['tokens', 'rm', only!.id])
    expect(refused.code).toBe(1)
    const line = refused.stderr.trim()
    expect(line.startsWith('last_key_protected:')).toBe(true)
    expect(line.match(/last active key/g)).toHaveLength(1)
  })

  it('rotate --grace reports the real grace; tokens ls shows the old key until then — #18 items 1, 6', async () => {
    const created = ok(await crumb(['tokens', 'create', '--name', 'ci', '--expires', '90d', '--json']))
    ciToken = (JSON.parse(created.stdout) as { token: string }).token
    const rotated = ok(await crumb(['tokens', 'rotate', 'ci', '--grace', '10m']))
    expect(rotated.stderr).not.toContain('90d')
    const old = (await keys()).find((k) => k.name === 'ci' && k.grace_ends_at)
    expect(old?.grace_ends_at).toBeTruthy()
    expect(rotated.stderr).toContain(`until ${hhmm(old!.grace_ends_at!)}`)
    const table = ok(await crumb(['tokens', 'ls'])).stdout
    const oldRow = table.split('\n').find((l) => l.startsWith(old!.id))
    expect(oldRow).toContain(`until ${hhmm(old!.grace_ends_at!)}, rotated`)
    // item 6: the name now means the new key, not "ambiguous"
    const renamed = ok(await crumb(['tokens', 'rename', 'ci', 'ci-new', '--json']))
    expect(JSON.parse(renamed.stdout).key.id).not.toBe(old!.id)
  })

  it('inspect, attenuate and revoke read a piped token when none is given — #18 item 2', async () => {
    const file = join(work, 'job.token')
    await writeFile(file, `${ciToken}\n`)
    const saved = JSON.parse(ok(await crumb(['inspect', '--json'], '')).stdout) as {
      identifier: { token_id: string }
    }
    const piped = JSON.parse(ok(await crumb(['inspect', '--json'], `${ciToken}\n`)).stdout) as typeof saved
    expect(piped.identifier.token_id).not.toBe(saved.identifier.token_id)
    const narrowed = ok(await crumb(['attenuate', '--read-only'], `${ciToken}\n`)).stdout.trim()
    const view = JSON.parse(ok(await crumb(['inspect', '--json'], narrowed)).stdout) as typeof saved & {
      scope: { ops: string[] }
    }
    expect(view.identifier.token_id).toBe(piped.identifier.token_id)
    expect(view.scope.ops).toEqual(['read'])
    const revoked = ok(await crumb(['revoke', '--json'], `${narrowed}\n`))
    expect(JSON.parse(revoked.stdout).revoked.revocation_id).toBeTruthy()
  })

  it('audit says an attenuated token was revoked and the key stayed active — #18 item 9', async () => {
    const table = ok(await crumb(['audit'])).stdout
    expect(table).toContain('revoked an attenuated token of this key (key still active)')
  })

  it('an attenuation that admits nothing is refused (exit 2) unless --force — #18 item 8', async () => {
    const acme = ok(await crumb(['attenuate', '--org', 'acme', ciToken])).stdout.trim()
    const refused = await crumb(['attenuate', '--org', 'beta', acme])
    expect(refused.code).toBe(2)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toContain('admits nothing')
    const forced = ok(await crumb(['attenuate', '--org', 'beta', '--force', acme]))
    expect(forced.stdout.trim().startsWith('crumb_')).toBe(true)
  })

  it('--include-expired is an alias; a removed key is "revoked" everywhere; one stream per command — #18 items 10, 11', async () => {
    ok(await crumb(['tokens', 'create', '--name', 'tmp']))
    const rm = ok(await crumb(['tokens', 'rm', 'tmp']))
    expect(rm.stdout).toMatch(/^✓ Revoked key "tmp"/)
    expect(rm.stdout).toContain('--include-revoked')
    expect(rm.stderr).toBe('')
    const all = ok(await crumb(['tokens', 'ls', '--include-expired', '--json']))
    expect((JSON.parse(all.stdout) as { keys: KeyJson[] }).keys.find((k) => k.name === 'tmp')?.status).toBe(
      'revoked',
    )
    const ls = ok(await crumb(['tokens', 'ls']))
    expect(ls.stdout).toContain('* the key this CLI is using')
    expect(ls.stderr).toBe('')
  })

  it('sessions ls | rm | rm --others — #18 item 11', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${service.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
      })
      expect(res.status).toBe(201)
    }
    const listed = JSON.parse(ok(await crumb(['sessions', 'ls', '--json'])).stdout) as {
      sessions: { id: string }[]
    }
    expect(listed.sessions).toHaveLength(2)
    ok(await crumb(['sessions', 'rm', listed.sessions[0]!.id]))
    expect(
      (JSON.parse(ok(await crumb(['sessions', 'ls', '--json'])).stdout) as typeof listed).sessions,
    ).toHaveLength(1)
    const others = ok(await crumb(['sessions', 'rm', '--others']))
    expect(others.stdout).toContain('1')
    expect(
      (JSON.parse(ok(await crumb(['sessions', 'ls', '--json'])).stdout) as typeof listed).sessions,
    ).toHaveLength(0)
  })

  it('logout is audited as the user logging out — #18 item 9', async () => {
    ok(await crumb(['tokens', 'create', '--name', 'spare', '--json']))
    const spare = JSON.parse(ok(await crumb(['tokens', 'create', '--name', 'spare2', '--json'])).stdout) as {
      token: string
    }
    ok(await crumb(['logout']))
    const audit = ok(await crumb(['audit', '--json'], undefined, { ...env, CRUMB_TOKEN: spare.token }))
    const events = (
      JSON.parse(audit.stdout) as { events: { event: string; actor: string; detail: { reason?: string } }[] }
    ).events
    const logout = events.find((e) => e.detail?.reason === 'logout')
    expect(logout).toMatchObject({ event: 'revoked', actor: EMAIL })
  })
})
