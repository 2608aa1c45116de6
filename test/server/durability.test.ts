/**
 * Durability: the real server process, SIGKILLed in the middle of a stream of writes, restarted on
 * the same data directory. Every acknowledged write must be there; the feed must still serve every
 * acknowledged revocation; SQLite must pass its integrity check.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { attenuate } from '../../src/token/index.js'

const ROOT = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'crumb-durable-'))
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

async function launch(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      CRUMB_DATA_DIR: dir,
      CRUMB_LOG_LEVEL: 'warn',
      CRUMB_KEY_CREATE_LIMIT: '1000000',
      CRUMB_SCRYPT_N: '1024', // test-only password hashing cost
      // a write storm, not a test of the revocation limits (#15 item 3)
      CRUMB_REVOCATION_IP_LIMIT: '1000000',
      CRUMB_REVOCATION_TOKEN_LIMIT: '1000000',
      CRUMB_REVOCATION_PAIR_LIMIT: '1000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out} ${err}`)), 20_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /crumb listening on (http:\/\/\S+)/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString()
    })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)))
  })
  return { child, url }
}

async function call(
  url: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
}

describe('durability', () => {
  it('every acknowledged write survives SIGKILL mid-stream', async () => {
    const first = await launch()
    const reg = await call(first.url, 'POST', '/v1/users', undefined, {
      email: 'durable@example.com',
      password: 'correct horse battery staple',
    })
    expect(reg.status).toBe(201)
    const { token } = (await reg.json()) as { token: string }

    const created: string[] = []
    const revokedKeys: string[] = []
    const revokedPairs: { token_id: string; revocation_id: string }[] = []
    const revokedChildren: string[] = []
    let stop = false
    let n = 0

    const creator = async (): Promise<void> => {
      while (!stop) {
        try {
          const res = await call(first.url, 'POST', '/v1/tokens', token, { name: `k${n++}` })
          if (res.status !== 201) continue
          const body = (await res.json()) as { token: string; key: { id: string } }
          created.push(body.key.id)
          // revoke every other one by possession, right away
          if (created.length % 2 === 0) {
            const r = await call(first.url, 'POST', '/v1/revocations', undefined, { token: body.token })
            if (r.status === 200) revokedKeys.push(body.key.id)
          }
        } catch {
          return // connection refused / reset: the server is gone
        }
      }
    }
    const attenuator = async (): Promise<void> => {
      let i = 0
      while (!stop) {
        try {
          const child = attenuate(token, [
            `not-before = 2000-01-01T00:00:${String(i++ % 60).padStart(2, '0')}Z`,
            `app = a${i}`,
          ])
          const r = await call(first.url, 'POST', '/v1/revocations', undefined, { token: child })
          if (r.status !== 200) continue
          const body = (await r.json()) as { revoked: { token_id: string; revocation_id: string } }
          revokedPairs.push(body.revoked)
          revokedChildren.push(child)
        } catch {
          return
        }
      }
    }

    const workers = [creator(), creator(), creator(), attenuator(), attenuator()]
    // let writes stream, then kill the process without warning while requests are in flight
    await new Promise((r) => setTimeout(r, 2000))
    first.child.kill('SIGKILL')
    await new Promise((r) => first.child.once('exit', r))
    stop = true
    await Promise.all(workers)
    expect(created.length).toBeGreaterThan(10)
    expect(revokedPairs.length).toBeGreaterThan(10)

    const second = await launch()
    try {
      const list = await call(second.url, 'GET', '/v1/tokens?include_revoked=true', token)
      expect(list.status).toBe(200)
      const keys = new Map(
        ((await list.json()) as { keys: { id: string; status: string }[] }).keys.map((k) => [k.id, k.status]),
      )
      for (const id of created) expect(keys.has(id), `created key ${id} lost`).toBe(true)
      for (const id of revokedKeys) expect(keys.get(id), `revocation of ${id} lost`).toBe('revoked')

      const feed = await call(second.url, 'GET', '/v1/revocations', token)
      const entries = ((await feed.json()) as { entries: { token_id: string; revocation_id?: string }[] })
        .entries
      const whole = new Set(entries.filter((e) => e.revocation_id === undefined).map((e) => e.token_id))
      const pairs = new Set(entries.map((e) => `${e.token_id}/${e.revocation_id ?? ''}`))
      for (const id of revokedKeys) expect(whole.has(id), `feed lost ${id}`).toBe(true)
      for (const p of revokedPairs) expect(pairs.has(`${p.token_id}/${p.revocation_id}`)).toBe(true)

      // and a revoked attenuated token stays revoked for verifiers asking the service
      for (const child of [revokedChildren[0], revokedChildren.at(-1)]) {
        const res = await call(second.url, 'POST', '/v1/verify', token, {
          token: child,
          request: { app: 'x' },
        })
        expect(res.status).toBe(401)
        expect(((await res.json()) as { code: string }).code).toBe('token_revoked')
      }
      await expect(call(second.url, 'GET', '/v1/whoami', token).then((r) => r.status)).resolves.toBe(200)
    } finally {
      second.child.kill('SIGTERM')
      await new Promise((r) => second.child.once('exit', r))
    }
    expect(second.child.exitCode).toBe(0)

    const db = new Database(join(dir, 'crumb.db'), { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    } finally {
      db.close()
    }
  }, 60_000)
})
