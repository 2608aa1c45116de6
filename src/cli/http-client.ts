import { readProblem } from '../wire/problem.js'
import { CliError } from './errors.js'

/**
 * The CLI's HTTP transport: JSON in and out, `Authorization: Bearer` and `Crumb-Device` headers,
 * and `application/problem+json` answers turned into {@link CliError}s that keep the server's code.
 * Loaded only by commands that talk to the server.
 */

/** How to reach the token service. */
export interface HttpClientOptions {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  readonly server: string
  /** Sent as `Authorization: Bearer …` on authenticated calls. */
  readonly token?: string | undefined
  /** Sent as `Crumb-Device` (a `device = x` caveat needs it). */
  readonly device?: string | undefined
  /** Where the token came from, so a 401 can say which one to fix. */
  readonly tokenSource?: 'env' | 'config' | undefined
  readonly userAgent: string
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number | undefined
}

/** One request. `auth: false` sends no token (public routes). */
export interface RequestOptions {
  readonly body?: unknown
  readonly query?: Readonly<Record<string, string | undefined>>
  readonly headers?: Readonly<Record<string, string>>
  readonly auth?: boolean
}

/** A successful answer: status and parsed JSON body (undefined for 204). */
export interface HttpResponse {
  readonly status: number
  readonly body: unknown
}

/** What fetch refuses in a header value (NUL, CR, LF, anything above U+00FF). */
const NOT_HEADER_SAFE = /[\0\r\n]|[^\0-\xff]/

/**
 * A thin JSON client over `fetch` for the crumb HTTP API.
 *
 * @example
 * const http = new HttpClient({ server: 'http://127.0.0.1:8080', token, device: 'laptop', userAgent: 'crumb-cli' })
 * const { body } = await http.request('GET', '/v1/tokens')
 */
export class HttpClient {
  readonly server: string
  readonly #options: HttpClientOptions

  constructor(options: HttpClientOptions) {
    this.server = options.server
    this.#options = options
  }

  /**
   * Sends a request; resolves with a 2xx answer, throws a {@link CliError} otherwise.
   *
   * @example
   * await http.request('POST', '/v1/revocations', { body: { token }, auth: false })
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const url = new URL(this.server + path)
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value)
    }
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      'user-agent': this.#options.userAgent,
      ...options.headers,
    }
    if (this.#options.device !== undefined) headers['crumb-device'] = this.#options.device
    if (options.auth !== false) {
      if (this.#options.token === undefined) {
        throw new CliError('not_logged_in', 'this command needs a token and none is configured')
      }
      // fetch would refuse it with an error quoting the whole header value (the token): refuse it here.
      if (NOT_HEADER_SAFE.test(this.#options.token)) {
        throw new CliError('invalid_token', 'the token contains characters an HTTP header cannot carry')
      }
      headers.authorization = `Bearer ${this.#options.token}`
    }
    let body: string | undefined
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    const timeoutMs = this.#options.timeoutMs ?? 30_000
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      })
    } catch (error) {
      throw unreachable(this.server, error, timeoutMs)
    }
    const text = await response.text().catch(() => '')
    if (response.ok) {
      if (text === '') return { status: response.status, body: undefined }
      try {
        return { status: response.status, body: JSON.parse(text) as unknown }
      } catch (error) {
        throw new CliError(
          'bad_response',
          `${method} ${path} answered ${response.status} with a body that is not JSON`,
          {
            cause: error,
          },
        )
      }
    }
    throw problemError(method, path, response, text, this.#options.tokenSource)
  }
}

function unreachable(server: string, error: unknown, timeoutMs: number): CliError {
  const e = error as Error & { cause?: { code?: string; message?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return new CliError('server_unreachable', `${server} did not answer within ${timeoutMs / 1000}s`, {
      cause: error,
    })
  }
  const reason = e.cause?.code ?? e.cause?.message ?? e.message
  return new CliError('server_unreachable', `cannot reach ${server} (${reason})`, { cause: error })
}

/**
 * A Retry-After for people (#18 item 11): `45s`, `12 min`, `60 min`, `3 h`.
 *
 * @example
 * waitText(3581) // '60 min'
 */
export function waitText(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'a moment'
  if (seconds < 90) return `${Math.ceil(seconds)}s`
  if (seconds <= 90 * 60) return `${Math.ceil(seconds / 60)} min`
  return `${Math.ceil(seconds / 3600)} h`
}

function problemError(
  method: string,
  path: string,
  response: Response,
  text: string,
  tokenSource: 'env' | 'config' | undefined,
): CliError {
  const problem = readProblem(text)
  const code = problem.code ?? `http_${response.status}`
  const detail =
    problem.detail ?? problem.title ?? `${method} ${path} answered ${response.status} ${response.statusText}`
  const retryAfter = response.headers.get('retry-after')
  let hint: string | undefined
  if (code === 'rate_limited' && retryAfter !== null) hint = `retry in ${waitText(Number(retryAfter))}`
  if (response.status === 401 && tokenSource === 'env' && code !== 'unauthorized') {
    hint = 'the token comes from CRUMB_TOKEN: replace it, or unset it to use the saved login'
  }
  return new CliError(code, detail, {
    status: response.status,
    errors: problem.errors ?? undefined,
    hint,
  })
}
