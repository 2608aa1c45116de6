import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { CrumbError } from '../../src/errors.js'
import type { KeyRing } from '../../src/token/index.js'
import { RevocationList, verifyToken } from '../../src/token/index.js'

/** One revocation as the fake feed serves it. */
export interface FakeEntry {
  token_id: string
  revocation_id?: string
  expires_at: string
  effective_at?: string
}

/**
 * A small stand-in for the token service's verifier-facing routes (feed, verify, usage), for unit
 * tests of the middleware. The end-to-end tests use the real service.
 */
export class FakeTokenService {
  readonly entries: FakeEntry[] = []
  readonly usage: unknown[] = []
  readonly verifyCalls: unknown[] = []
  readonly feedCalls: string[] = []
  /** When set, every route answers this status. */
  failWith: number | undefined
  /** When set, the next feed answer carries reset: true. */
  resetNext = false
  #waiters: (() => void)[] = []
  #server: Server | undefined
  readonly #ring: KeyRing
  readonly #serviceToken: string
  url = ''

  constructor(ring: KeyRing, serviceToken: string) {
    this.#ring = ring
    this.#serviceToken = serviceToken
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res))
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    for (const w of this.#waiters.splice(0)) w()
    this.#server?.closeAllConnections()
    await new Promise((resolve) => this.#server?.close(resolve))
  }

  revoke(entry: FakeEntry): void {
    this.entries.push(entry)
    for (const w of this.#waiters.splice(0)) w()
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }
    if (this.failWith !== undefined) return send(this.failWith, { code: 'nope' })
    if (req.headers.authorization !== `Bearer ${this.#serviceToken}`) {
      return send(401, { code: 'invalid_token', status: 401, detail: 'service token' })
    }
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body =
      chunks.length === 0 ? undefined : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown)

    if (req.method === 'GET' && url.pathname === '/v1/revocations') {
      this.feedCalls.push(url.search)
      const since = Number(url.searchParams.get('since') ?? 0)
      const wait = Number(url.searchParams.get('wait') ?? 0)
      if (since >= this.entries.length && wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait * 1000)
          this.#waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      if (this.resetNext) {
        this.resetNext = false
        return send(200, { cursor: String(this.entries.length), entries: this.entries, reset: true })
      }
      return send(200, { cursor: String(this.entries.length), entries: this.entries.slice(since) })
    }
    if (req.method === 'POST' && url.pathname === '/v1/verify') {
      this.verifyCalls.push(body)
      const { token, request, deferred } = body as {
        token: string
        request: Record<string, string>
        deferred?: ('org' | 'app' | 'op')[]
      }
      // As the token service does: `aud` is the calling service's audience, not a request fact.
      const { aud, ...facts } = request
      try {
        const list = new RevocationList(
          this.entries.map((e) => ({
            tokenId: e.token_id,
            ...(e.revocation_id === undefined ? {} : { revocationId: e.revocation_id }),
            expiresAt: new Date(e.expires_at),
          })),
        )
        verifyToken(token, {
          keys: this.#ring,
          revocations: list,
          request: facts,
          audience: aud,
          deferred: new Set(deferred ?? []),
        })
        return send(200, { valid: true, claims: {} })
      } catch (error) {
        const e = error as CrumbError
        return send(e.status, {
          type: `urn:crumb:problem:${e.code}`,
          status: e.status,
          code: e.code,
          detail: e.message,
        })
      }
    }
    if (req.method === 'POST' && url.pathname === '/v1/usage') {
      this.usage.push(...(body as { reports: unknown[] }).reports)
      return send(202, {})
    }
    send(404, { code: 'not_found' })
  }
}
