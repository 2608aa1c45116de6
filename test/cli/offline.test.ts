import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyRing, mintRootToken, newUserId } from '../../src/index.js'
import { CLI, ensureBuilt, isolatedEnv, ROOT, runCli } from './helpers.js'

/**
 * The built CLI as a subprocess, with no token service anywhere: usage errors and their exit
 * codes, offline `attenuate` and `inspect`, and what those two load.
 *
 * @see issue #4, the `crumb` CLI (`issues show 4`)
 */

let home: string
let env: NodeJS.ProcessEnv
let root: string

beforeAll(async () => {
  ensureBuilt()
  home = await mkdtemp(join(tmpdir(), 'crumb-cli-offline-'))
  // Nothing listens on port 1: any attempt to reach a server would fail loudly.
  env = isolatedEnv(home, { CRUMB_SERVER: 'http://127.0.0.1:1' })
  root = mintRootToken({
    ring: generateKeyRing(),
    userId: newUserId(),
    caveats: ['expires = 2099-01-01T00:00:00Z', 'ops = read,write,deploy'],
    location: 'http://127.0.0.1:8080',
  }).token
})

afterAll(async () => {
  await rm(home, { recursive: true, force: true })
})

describe('usage errors exit 2 with one line on stderr', () => {
  it.each([
    [['tokens', 'ls', '--bogus'], /^usage_error: unknown option '--bogus'/],
    [['nosuch'], /^usage_error: unknown command 'nosuch'/],
    [['tokens', 'rename', 'only-one'], /^usage_error: missing required argument/],
    [['tokens', 'create'], /^usage_error: required option '--name <name>' not specified/],
    [
      ['attenuate', '--expires', 'soon'],
      /^usage_error: option '--expires <when>' argument 'soon' is invalid/,
    ],
    [['tokens', 'create', '--name', 'x', '--expires', '3 weeks'], /--expires/],
    [['tokens', 'rotate', 'ci', '--grace', '2d'], /--grace/],
    [['attenuate', '--ops', 'read', '--read-only'], /--read-only/],
    [['attenuate', '--org', 'Not Valid!'], /--org/],
    [['login', '--device', ''], /--device/],
    [['whoami', '--server', 'ftp://nope'], /--server/],
    // names and emails: the server's own rules (src/api-fields.ts), checked before any request
    [['tokens', 'create', '--name', '   '], /^usage_error: option '--name <name>' argument .* is invalid/],
    [['tokens', 'create', '--name', 'x'.repeat(101)], /--name/],
    [['tokens', 'create', '--name', 'invoice\u202Etxt.exe'], /--name/],
    [['tokens', 'rename', 'ci', '\u2066hidden'], /new-name/],
    [['register', '--email', 'ada', '--password-stdin'], /^usage_error: option '--email <email>' argument/],
    [['register', '--email', `${'a'.repeat(60)}@${'b'.repeat(200)}.example`, '--password-stdin'], /--email/],
    [['login', '--email', 'ada@', '--password-stdin'], /--email/],
  ])('crumb %j', async (args, pattern) => {
    const { code, stdout, stderr } = await runCli(args, env)
    expect(code).toBe(2)
    expect(stderr).toMatch(pattern)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stdout).toBe('')
  })

  it('refuses `rm --delete` without --yes when stdin is not a terminal, before any request', async () => {
    const { code, stderr } = await runCli(['tokens', 'rm', 'ci', '--delete'], env)
    expect(code).toBe(2)
    expect(stderr).toMatch(/^usage_error: refusing to delete .* not a terminal — pass --yes/)
  })

  it('prints help with exit 0, and help for a bare command group with exit 2', async () => {
    const help = await runCli(['--help'], env)
    expect(help.code).toBe(0)
    for (const command of [
      'serve',
      'register',
      'login',
      'logout',
      'whoami',
      'tokens',
      'attenuate',
      'inspect',
      'revoke',
      'audit',
    ]) {
      expect(help.stdout).toContain(command)
    }
    expect((await runCli(['tokens', 'ls', '--help'], env)).stdout).toMatch(/--include-revoked[\s\S]*--json/)
    expect((await runCli(['tokens'], env)).code).toBe(2)
    expect((await runCli(['--version'], env)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('offline commands', () => {
  it('attenuate narrows a token with no server and prints only the new token', async () => {
    const { code, stdout, stderr } = await runCli(
      ['attenuate', '--org', 'acme', '--app', 'web', '--ops', 'read,deploy', '--expires', '2h', root],
      env,
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^crumb_[A-Za-z0-9_-]{40,}\n$/)

    const inspected = await runCli(['inspect', '-', '--json'], env, { input: stdout })
    expect(inspected.code).toBe(0)
    const info = JSON.parse(inspected.stdout)
    expect(info.scope).toMatchObject({ orgs: ['acme'], apps: ['web'], ops: ['read', 'deploy'] })
    expect(Date.parse(info.scope.expires_at) - Date.now()).toBeGreaterThan(7_000_000)
    expect(Date.parse(info.scope.expires_at) - Date.now()).toBeLessThanOrEqual(7_200_000)
    expect(info.identifier).toMatchObject({
      format: 'crumb',
      kid: expect.any(String),
      token_id: expect.stringMatching(/^tok_/),
    })
    expect(info.expired).toBe(false)
  })

  it('attenuate reads the token from stdin with -, and the logged-in token by default', async () => {
    const piped = await runCli(['attenuate', '--read-only', '-'], env, { input: `${root}\n` })
    expect(piped.code).toBe(0)
    const fromEnv = await runCli(['attenuate', '--read-only'], { ...env, CRUMB_TOKEN: root })
    expect(fromEnv.code).toBe(0)
    expect(fromEnv.stdout).toBe(piped.stdout)
    const none = await runCli(['attenuate', '--read-only'], env)
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/^not_logged_in: .* — .*crumb login/)
  })

  it('inspect shows the intersected scope to people, and never needs the secret', async () => {
    const narrowed = (
      await runCli(['attenuate', '--ops', 'read,write', '--expires', '2098-01-01T00:00:00Z', root], env)
    ).stdout
    const again = (await runCli(['attenuate', '--ops', 'read', '-'], env, { input: narrowed })).stdout
    const { code, stdout } = await runCli(['inspect', again.trim()], env)
    expect(code).toBe(0)
    expect(stdout).toMatch(/ops\s+read\n/)
    expect(stdout).toMatch(/expires\s+2098-01-01T00:00:00Z/)
    expect(stdout).toMatch(/Token id\s+tok_/)
    expect(stdout).toMatch(/Hint\s+crumb_…[A-Za-z0-9_-]{4}/) // #18 item 3: the token tail
    expect(stdout).not.toContain(again.trim())
  })

  it('attenuate --aud adds an aud caveat that inspect shows (#19)', async () => {
    const { code, stdout } = await runCli(['attenuate', '--aud', 'https://deploy.example', root], env)
    expect(code).toBe(0)
    const json = JSON.parse((await runCli(['inspect', stdout.trim(), '--json'], env)).stdout)
    expect(json.caveats.at(-1)).toMatchObject({
      text: 'aud = https://deploy.example',
      kind: 'aud',
      valid: true,
    })
    expect(json.scope.audiences).toEqual(['https://deploy.example'])
    const text = (await runCli(['inspect', stdout.trim()], env)).stdout
    expect(text).toMatch(/audiences\s+https:\/\/deploy\.example\n/)
  })

  it('inspect decodes other macaroon encodings (V2 JSON, standard base64)', async () => {
    const { Macaroon } = await import('../../src/index.js')
    const m = Macaroon.mint({
      rootKey: 'k',
      identifier: 'foreign-id',
      location: 'https://elsewhere',
    }).addFirstPartyCaveat('org = acme')
    const json = m.encode('json')
    const base64 = Buffer.from(m.encode('v2')).toString('base64')
    for (const input of [json, base64]) {
      const { code, stdout } = await runCli(['inspect', '-', '--json'], env, { input })
      expect(code).toBe(0)
      const info = JSON.parse(stdout)
      expect(info).toMatchObject({
        location: 'https://elsewhere',
        identifier: null,
        identifier_text: 'foreign-id',
      })
      expect(info.scope.orgs).toEqual(['acme'])
    }
  })

  it('inspect and attenuate refuse a token that does not decode (exit 1)', async () => {
    for (const args of [
      ['inspect', 'crumb_nope'],
      ['attenuate', '--read-only', 'nope'],
    ]) {
      const { code, stderr } = await runCli(args, env)
      expect(code).toBe(1)
      expect(stderr).toMatch(/^invalid_token: /)
    }
  })

  it('inspect marks an expired token and an unknown caveat (fails closed)', async () => {
    const old = mintRootToken({
      ring: generateKeyRing(),
      userId: newUserId(),
      caveats: ['expires = 2020-01-01T00:00:00Z', 'color = red'],
    }).token
    const { stdout } = await runCli(['inspect', old, '--json'], env)
    const info = JSON.parse(stdout)
    expect(info.expired).toBe(true)
    expect(info.admits_nothing).toBe(true)
    expect(info.caveats[1]).toMatchObject({ text: 'color = red', valid: false, kind: null })
  })
})

describe('what attenuate and inspect load', () => {
  let hookDir: string

  beforeAll(async () => {
    hookDir = await mkdtemp(join(tmpdir(), 'crumb-cli-trace-'))
    await writeFile(
      join(hookDir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs'
let out
export function initialize(data) { out = data.out }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(out, result.url + '\\n')
  return result
}
`,
    )
    await writeFile(
      join(hookDir, 'register.mjs'),
      `import { register } from 'node:module'
register(${JSON.stringify(pathToFileURL(join(hookDir, 'hooks.mjs')).href)}, { data: { out: process.env.TRACE_OUT } })
`,
    )
  })

  afterAll(async () => {
    await rm(hookDir, { recursive: true, force: true })
  })

  async function modulesLoadedBy(args: string[]): Promise<string[]> {
    const out = join(hookDir, `trace-${Math.random().toString(36).slice(2)}.txt`)
    await writeFile(out, '')
    const { spawnSync } = await import('node:child_process')
    const run = spawnSync(
      process.execPath,
      ['--import', pathToFileURL(join(hookDir, 'register.mjs')).href, ...args],
      {
        cwd: ROOT,
        env: { ...env, TRACE_OUT: out },
        encoding: 'utf8',
      },
    )
    expect(run.status, run.stderr).toBe(0)
    return (await readFile(out, 'utf8')).split('\n').filter(Boolean)
  }

  const heavy = /node_modules\/(express|better-sqlite3|pino|pino-http|helmet|express-rate-limit)\//

  it('the trace sees the server stack when something imports it (control)', async () => {
    const loaded = await modulesLoadedBy(['--input-type=module', '-e', "await import('express')"])
    expect(loaded.some((url) => heavy.test(url))).toBe(true)
  })

  it.each([
    ['inspect', () => ['inspect', root]],
    ['attenuate', () => ['attenuate', '--read-only', '--expires', '1h', root]],
  ])('%s loads no express, better-sqlite3, pino, nor the HTTP client', async (_name, args) => {
    const loaded = await modulesLoadedBy([CLI, ...args()])
    expect(loaded.length).toBeGreaterThan(5)
    expect(loaded.filter((url) => heavy.test(url))).toEqual([])
    expect(loaded.filter((url) => /\/src\/(server|store|verifier)\//.test(url))).toEqual([])
    expect(loaded.filter((url) => /\/cli\/(http-client|api)\.js$/.test(url))).toEqual([])
  })
})
