import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callApi } from '../helpers/http.js'
import { type CliResult, ensureBuilt, isolatedEnv, runCli, type Service, startService } from './helpers.js'

/**
 * The main journey with real processes (issue #4): the built CLI against the real token service
 * on a random loopback port, with a temp data dir and a temp XDG_CONFIG_HOME. Steps share state
 * and run in order.
 *
 * @see issue #4, the `crumb` CLI (`issues show 4`)
 */

interface KeyJson {
  id: string
  name: string
  status: string
  source: string
  caveats: string[]
  expires_at: string
}

const EMAIL = 'ada@example.com'
const PASSWORD = 'correct horse battery staple'

let work: string
let dataDir: string
let home: string
let service: Service
let env: NodeJS.ProcessEnv

async function crumb(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return runCli(args, options.env ?? env, options.input === undefined ? {} : { input: options.input })
}

function ok(result: CliResult): CliResult {
  expect(result.stderr.startsWith('internal_error'), result.stderr).toBe(false)
  expect(result.code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0)
  return result
}

async function keys(includeRevoked = false): Promise<KeyJson[]> {
  const args = ['tokens', 'ls', '--json', ...(includeRevoked ? ['--include-revoked'] : [])]
  return (JSON.parse(ok(await crumb(args)).stdout) as { keys: KeyJson[] }).keys
}

async function savedConfig(): Promise<{ token?: string; server?: string; device?: string; email?: string }> {
  return JSON.parse(await readFile(join(home, 'crumb', 'config.json'), 'utf8'))
}

beforeAll(async () => {
  ensureBuilt()
  work = await mkdtemp(join(tmpdir(), 'crumb-cli-journey-'))
  dataDir = join(work, 'data')
  home = join(work, 'home')
  service = await startService(dataDir)
  env = isolatedEnv(home, { CRUMB_SERVER: service.url })
})

afterAll(async () => {
  await service?.stop()
  await rm(work, { recursive: true, force: true })
})

describe('crumb against a real token service', () => {
  let ciToken: string
  let ciKeyId: string
  let readOnly: string
  let narrowedCi: string

  it('registers, storing the token in a 0600 config without printing it', async () => {
    const result = ok(
      await crumb(['register', '--email', EMAIL, '--password-stdin'], { input: `${PASSWORD}\n` }),
    )
    expect(result.stdout).toContain(EMAIL)
    expect(result.stdout + result.stderr).not.toMatch(/crumb_[A-Za-z0-9_-]{20,}/)
    const config = await savedConfig()
    expect(config).toMatchObject({
      server: service.url,
      email: EMAIL,
      token: expect.stringMatching(/^crumb_/),
    })
    expect((await stat(join(home, 'crumb', 'config.json'))).mode & 0o777).toBe(0o600)
    expect((await stat(join(home, 'crumb'))).mode & 0o777).toBe(0o700)
  })

  it('logs in twice on one device: one active key, the earlier one replaced', async () => {
    const first = ok(
      await crumb(['login', '--device', 'laptop-7', '--email', EMAIL, '--password-stdin', '--json'], {
        input: PASSWORD,
      }),
    )
    const firstJson = JSON.parse(first.stdout)
    expect(firstJson.key.name).toBe('CLI login on laptop-7')
    expect(firstJson).not.toHaveProperty('token')
    expect(first.stdout).not.toMatch(/crumb_[A-Za-z0-9_-]{20,}/)

    const second = ok(await crumb(['login', '--device', 'laptop-7', '--password-stdin'], { input: PASSWORD }))
    expect(second.stdout).toContain('CLI login on laptop-7')
    const config = await savedConfig()
    expect(config.device).toBe('laptop-7')

    const named = (await keys(true)).filter((k) => k.name === 'CLI login on laptop-7')
    expect(named.map((k) => k.status).sort()).toEqual(['active', 'revoked'])
    expect((await keys()).filter((k) => k.name === 'CLI login on laptop-7')).toHaveLength(1)
    const replaced = named.find((k) => k.status === 'revoked')
    expect(replaced?.id).toBe(firstJson.key.id)
    const audit = JSON.parse(ok(await crumb(['audit', '--key', firstJson.key.id, '--json'])).stdout)
    expect(audit.events.map((e: { event: string }) => e.event)).toContain('replaced')
  })

  it('whoami names the user, the key and the device', async () => {
    const me = JSON.parse(ok(await crumb(['whoami', '--json'])).stdout)
    expect(me).toMatchObject({
      user: { email: EMAIL },
      key: { name: 'CLI login on laptop-7' },
      device: 'laptop-7',
    })
    const text = ok(await crumb(['whoami'])).stdout
    expect(text).toMatch(/User\s+ada@example.com/)
  })

  it('lists keys as a table for people', async () => {
    const { stdout } = ok(await crumb(['tokens', 'ls']))
    expect(stdout.split('\n')[0]).toMatch(
      /^ID\s+NAME\s+HINT\s+SOURCE\s+SCOPE\s+CREATED\s+EXPIRES\s+LAST USED\s+STATUS$/,
    )
    expect(stdout).toMatch(/CLI login on laptop-7 \*\s+crumb_…[A-Za-z0-9_-]{4}\s+cli-login\s+full access/)
  })

  it('creates a CI key with caveats and prints its token once, alone on stdout', async () => {
    const result = ok(
      await crumb([
        'tokens',
        'create',
        '--name',
        'CI deploy',
        '--org',
        'acme',
        '--app',
        'web',
        '--ops',
        'read,write,deploy',
        '--expires',
        '30d',
      ]),
    )
    expect(result.stdout).toMatch(/^crumb_[A-Za-z0-9_-]{40,}\n$/)
    expect(result.stderr).toContain('not shown again')
    ciToken = result.stdout.trim()
    const ci = (await keys()).find((k) => k.name === 'CI deploy')
    expect(ci).toBeDefined()
    ciKeyId = ci?.id ?? ''
    expect(ci?.caveats).toEqual(
      expect.arrayContaining(['org = acme', 'app = web', 'ops = read,write,deploy']),
    )
    const days = (Date.parse(ci?.expires_at ?? '') - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29.9)
    expect(days).toBeLessThanOrEqual(30)
    // the table says what each key is narrowed to
    const table = ok(await crumb(['tokens', 'ls'])).stdout
    expect(table).toMatch(/CI deploy\s+crumb_…\S{4}\s+api\s+org = acme; app = web; ops = read,write,deploy\s/)
  })

  it('attenuates offline with the service stopped', async () => {
    await service.stop()
    await expect(fetch(`${service.url}/v1/healthz`)).rejects.toThrow()
    const narrowed = ok(
      await crumb(['attenuate', '--ops', 'read,deploy', '--expires', '2h', '-'], { input: ciToken }),
    )
    narrowedCi = narrowed.stdout.trim()
    expect(narrowedCi).toMatch(/^crumb_/)
    // The default input is the logged-in token.
    readOnly = ok(await crumb(['attenuate', '--read-only', '--expires', '1h'])).stdout.trim()
    expect(readOnly).toMatch(/^crumb_/)
    expect(readOnly).not.toBe((await savedConfig()).token)
  })

  it('inspects the intersected scope, offline', async () => {
    const info = JSON.parse(ok(await crumb(['inspect', narrowedCi, '--json'])).stdout)
    expect(info.scope).toMatchObject({ orgs: ['acme'], apps: ['web'], ops: ['read', 'deploy'] })
    const hours = (Date.parse(info.scope.expires_at) - Date.now()) / 3_600_000
    expect(hours).toBeGreaterThan(1.9)
    expect(hours).toBeLessThanOrEqual(2)
    expect(info.identifier.token_id).toBe(ciKeyId)
    expect(info.expired).toBe(false)
    const text = ok(await crumb(['inspect', narrowedCi])).stdout
    expect(text).toMatch(/ops\s+read, deploy/)
    expect(text).toMatch(/orgs\s+acme/)
    expect(text).not.toContain(narrowedCi)
  })

  it('the read-only token reads through the API and is refused a write (insufficient_scope)', async () => {
    service = await startService(dataDir)
    env = { ...env, CRUMB_SERVER: service.url }
    const roEnv = { ...env, CRUMB_TOKEN: readOnly }
    const listed = JSON.parse(ok(await crumb(['tokens', 'ls', '--json'], { env: roEnv })).stdout)
    expect(listed.keys.length).toBeGreaterThan(0)
    const refused = await crumb(['tokens', 'create', '--name', 'nope'], { env: roEnv })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^insufficient_scope: /)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)

    const direct = await callApi(service.url, 'GET', '/v1/tokens', { token: readOnly })
    expect(direct.status).toBe(200)
    const write = await callApi(service.url, 'POST', '/v1/tokens', {
      token: readOnly,
      body: { name: 'nope' },
    })
    expect(write.status).toBe(403)
    expect(write.body.code).toBe('insufficient_scope')
  })

  it('renames and rotates a key by name', async () => {
    ok(await crumb(['tokens', 'create', '--name', 'scratch', '--expires', '1d']))
    const renamed = JSON.parse(ok(await crumb(['tokens', 'rename', 'scratch', 'scratch-2', '--json'])).stdout)
    expect(renamed.key.name).toBe('scratch-2')
    const rotated = ok(await crumb(['tokens', 'rotate', 'scratch-2', '--grace', '1h']))
    expect(rotated.stdout).toMatch(/^crumb_[A-Za-z0-9_-]{40,}\n$/)
    const gone = await crumb(['tokens', 'rename', 'no-such-key', 'x'])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(/^not_found: /)
  })

  it("rotating this CLI's own key saves the new token instead of printing it", async () => {
    const before = (await savedConfig()).token
    const rotated = ok(await crumb(['tokens', 'rotate', 'CLI login on laptop-7']))
    expect(rotated.stdout).toBe('')
    expect(rotated.stderr).toContain('This CLI now uses the new key')
    const after = (await savedConfig()).token
    expect(after).toMatch(/^crumb_/)
    expect(after).not.toBe(before)
    const me = JSON.parse(ok(await crumb(['whoami', '--json'])).stdout)
    expect(me.key.name).toBe('CLI login on laptop-7')
  })

  it('rm expires a key: hidden from the list, shown with --include-revoked', async () => {
    const removed = ok(await crumb(['tokens', 'rm', 'CI deploy']))
    expect(removed.stdout).toContain(ciKeyId)
    expect((await keys()).some((k) => k.id === ciKeyId)).toBe(false)
    const row = (await keys(true)).find((k) => k.id === ciKeyId)
    expect(['revoked', 'expired']).toContain(row?.status)
    // The key and what was derived from it stop working.
    const dead = await crumb(['whoami'], { env: { ...env, CRUMB_TOKEN: narrowedCi } })
    expect(dead.code).toBe(1)
  })

  it('rm --delete refuses without --yes when stdin is not a terminal, then deletes with it', async () => {
    const refused = await crumb(['tokens', 'rm', ciKeyId, '--delete'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/--yes/)
    expect((await keys(true)).some((k) => k.id === ciKeyId)).toBe(true)
    ok(await crumb(['tokens', 'rm', ciKeyId, '--delete', '--yes']))
    expect((await keys(true)).some((k) => k.id === ciKeyId)).toBe(false)
  })

  it('revoke takes down an attenuated token alone, or a whole key', async () => {
    const created = JSON.parse(ok(await crumb(['tokens', 'create', '--name', 'to-revoke', '--json'])).stdout)
    const child = ok(await crumb(['attenuate', '--read-only', '-'], { input: created.token })).stdout.trim()
    const one = JSON.parse(ok(await crumb(['revoke', '-', '--json'], { input: child })).stdout)
    expect(one.revoked).toMatchObject({ token_id: created.key.id, revocation_id: expect.any(String) })
    expect((await crumb(['whoami'], { env: { ...env, CRUMB_TOKEN: child } })).stderr).toMatch(
      /^token_revoked: /,
    )
    ok(await crumb(['whoami'], { env: { ...env, CRUMB_TOKEN: created.token } }))
    ok(await crumb(['revoke', created.token]))
    const after = await crumb(['whoami'], { env: { ...env, CRUMB_TOKEN: created.token } })
    expect(after.code).toBe(1)
    expect(after.stderr).toMatch(/^token_revoked: .* — the token comes from CRUMB_TOKEN/)
    // The same token as the saved login: the hint says to log in again.
    const other = join(work, 'other-home')
    await mkdir(join(other, 'crumb'), { recursive: true })
    await writeFile(
      join(other, 'crumb', 'config.json'),
      JSON.stringify({ server: service.url, token: created.token }),
    )
    const saved = await crumb(['whoami'], { env: isolatedEnv(other) })
    expect(saved.code).toBe(1)
    expect(saved.stderr).toMatch(/^token_revoked: .* — run `crumb login`\n$/)
    expect((await crumb(['revoke'])).code).toBe(2)
  })

  it('audit lists the events', async () => {
    const { events } = JSON.parse(ok(await crumb(['audit', '--all', '--json'])).stdout)
    const kinds = new Set(events.map((e: { event: string }) => e.event))
    for (const kind of ['created', 'renamed', 'revoked', 'replaced', 'rotated', 'login'])
      expect(kinds).toContain(kind)
    expect(ok(await crumb(['audit'])).stdout.split('\n')[0]).toMatch(
      /^TIME\s+EVENT\s+KEY\s+ACTOR\s+IP\s+USER AGENT$/,
    )
  })

  it('logout revokes this device key and removes it from the config', async () => {
    const before = await savedConfig()
    const result = ok(await crumb(['logout']))
    expect(result.stdout).toContain('Logged out')
    const after = await savedConfig()
    expect(after.token).toBeUndefined()
    expect(after.server).toBe(before.server)
    expect(after.email).toBe(EMAIL)
    expect((await stat(join(home, 'crumb', 'config.json'))).mode & 0o777).toBe(0o600)
    const old = await crumb(['whoami'], { env: { ...env, CRUMB_TOKEN: before.token } })
    expect(old.code).toBe(1)
    expect(old.stderr).toMatch(/^token_revoked: /)
    const notLoggedIn = await crumb(['whoami'])
    expect(notLoggedIn.code).toBe(1)
    expect(notLoggedIn.stderr).toMatch(/^not_logged_in: .*crumb login/)
  })

  it('reports an unreachable server in one line (exit 1)', async () => {
    const result = await crumb(['whoami', '--server', 'http://127.0.0.1:1'], {
      env: { ...env, CRUMB_TOKEN: 'crumb_x' },
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^server_unreachable: cannot reach http:\/\/127\.0\.0\.1:1 .* — /)
  })
})
