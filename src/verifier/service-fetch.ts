import http from 'node:http'
import https from 'node:https'

/** A call to the token service as the verifier makes it: the part of fetch's RequestInit it uses. */
export interface ServiceRequest {
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  readonly signal?: AbortSignal
}

/** What the verifier reads of an answer: the part of fetch's Response it uses (a Response is one). */
export interface ServiceResponse {
  readonly ok: boolean
  readonly status: number
  readonly body?: { cancel(): Promise<void> } | null
  json(): Promise<unknown>
}

/** How the verifier calls the token service: `serviceFetch` unless the app gives its own fetch. */
export type ServiceFetch = (url: string | URL, init: ServiceRequest) => Promise<ServiceResponse>

/** Largest answer read. A feed snapshot takes about 150 bytes per revocation: this is some 400,000. */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024

class AnswerTooLarge extends Error {
  constructor() {
    super(`token service answer exceeds ${MAX_ANSWER_BYTES} bytes`)
    this.name = 'AnswerTooLarge'
  }
}

/** An answer read whole: `json()` parses it (and rejects on malformed JSON, as fetch's does). */
class ReadAnswer implements ServiceResponse {
  readonly body = null
  readonly ok: boolean
  readonly status: number
  readonly #text: string

  constructor(status: number, text: string) {
    this.status = status
    this.ok = status >= 200 && status < 300
    this.#text = text
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.#text)
  }
}

/**
 * Kept-alive connections of crumb's own, so whatever the app does to Node's global agents does not
 * reach the feed's long poll; the most recently used socket first (the least likely to be stale).
 */
const httpAgent = new http.Agent({ keepAlive: true, scheduling: 'lifo' })
const httpsAgent = new https.Agent({ keepAlive: true, scheduling: 'lifo' })

type Outcome = { readonly answer: ReadAnswer } | { readonly error: Error; readonly retry: boolean }

function sendOnce(url: URL, init: ServiceRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    const secure = url.protocol === 'https:'
    const headers: Record<string, string | number> = { ...init.headers }
    if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body)
    const req = (secure ? https : http).request(url, {
      method: init.method ?? 'GET',
      headers,
      agent: secure ? httpsAgent : httpAgent,
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    })
    let settled = false
    const fail = (error: Error): void => {
      if (settled) return
      settled = true
      // A kept-alive socket the server closed just as it was reused: the request most likely never
      // reached the service, and every call crumb makes is safe to send twice anyway (a repeated
      // verify or feed poll changes nothing; a repeated usage report records the same last use).
      const code = (error as NodeJS.ErrnoException).code
      const retry = req.reusedSocket && code === 'ECONNRESET' && init.signal?.aborted !== true
      resolve({ error, retry })
    }
    req.on('error', fail)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_ANSWER_BYTES) {
          req.destroy(new AnswerTooLarge())
          return
        }
        chunks.push(chunk)
      })
      res.on('error', fail)
      res.on('close', () => {
        if (!res.complete) fail(new Error('token service answer cut short'))
      })
      res.on('end', () => {
        if (settled) return
        settled = true
        resolve({ answer: new ReadAnswer(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')) })
      })
    })
    req.end(init.body)
  })
}

/**
 * The verifier's default way to the token service: `node:http` / `node:https` with keep-alive
 * agents of its own, the answer read whole (at most MAX_ANSWER_BYTES). Not the global fetch: the
 * first fetch call loads undici, about 2 MB of heap that every later garbage collection of the
 * service walks (its throughput cost, 1–5% in two runs, is within the bench's error). Redirects
 * are not followed.
 *
 * @example
 * const res = await serviceFetch(`${server}/v1/usage`, { method: 'POST', headers, body, signal })
 * if (!res.ok) throw new Error(`usage answered ${res.status}`)
 */
export async function serviceFetch(input: string | URL, init: ServiceRequest): Promise<ServiceResponse> {
  const url = new URL(input)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`token service URL must be http or https, not ${url.protocol}`)
  }
  let outcome = await sendOnce(url, init)
  if ('error' in outcome && outcome.retry) outcome = await sendOnce(url, init)
  if ('error' in outcome) throw outcome.error
  return outcome.answer
}
