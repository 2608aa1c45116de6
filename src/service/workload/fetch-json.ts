/**
 * One bounded GET of a JSON document from a remote party crumb does not control (an OIDC issuer's
 * discovery document or JWKS): a deadline on the whole exchange, a byte cap enforced while the body
 * streams in (a 10 MB answer is refused after the cap, never buffered whole), no redirects, 200
 * only. Hand-written because `fetch` has no size limit and jose's remote key set buffers the whole
 * answer before parsing it.
 */

/** Limits of one {@link fetchJson}. */
export interface FetchLimits {
  /** Deadline for connecting, the headers and the whole body, in milliseconds. */
  readonly timeoutMs: number
  /** Largest body accepted, in bytes. */
  readonly maxBytes: number
}

/** Why a {@link fetchJson} failed. */
export type FetchProblem = 'unreachable' | 'timeout' | 'status' | 'too_large' | 'not_json'

/**
 * A remote document could not be had. `problem` says why; the message names the URL (issuer
 * URLs are configuration, not secrets) and never the body.
 *
 * @example
 * catch (e) { if (e instanceof FetchJsonError && e.problem === 'too_large') … }
 */
export class FetchJsonError extends Error {
  override readonly name = 'FetchJsonError'
  readonly problem: FetchProblem

  constructor(problem: FetchProblem, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.problem = problem
  }
}

async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number, url: string): Promise<string> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new FetchJsonError('too_large', `${url} answered more than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/**
 * GETs `url` and parses its body as JSON, within `limits`. Throws {@link FetchJsonError}.
 *
 * @example
 * const doc = await fetchJson(new URL('https://issuer.example/.well-known/openid-configuration'),
 *   { timeoutMs: 5000, maxBytes: 100_000 })
 */
export async function fetchJson(url: URL, limits: FetchLimits): Promise<unknown> {
  return (await fetchJsonResponse(url, limits)).body
}

/**
 * {@link fetchJson}, also answering the response's headers (for its cache lifetime).
 *
 * @example
 * const { body, headers } = await fetchJsonResponse(url, { timeoutMs: 5000, maxBytes: 65_536 })
 * headers.get('cache-control')
 */
export async function fetchJsonResponse(
  url: URL,
  limits: FetchLimits,
): Promise<{ readonly body: unknown; readonly headers: Headers }> {
  const signal = AbortSignal.timeout(limits.timeoutMs)
  const shown = url.href
  try {
    const response = await fetch(url, {
      method: 'GET',
      redirect: 'error',
      signal,
      headers: { accept: 'application/json, application/jwk-set+json' },
    })
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined)
      throw new FetchJsonError('status', `${shown} answered HTTP ${response.status}`)
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN)
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await response.body?.cancel().catch(() => undefined)
      throw new FetchJsonError('too_large', `${shown} declared ${declared} bytes`)
    }
    const text = response.body === null ? '' : await readCapped(response.body, limits.maxBytes, shown)
    try {
      return { body: JSON.parse(text) as unknown, headers: response.headers }
    } catch (cause) {
      throw new FetchJsonError('not_json', `${shown} did not answer JSON`, { cause })
    }
  } catch (error) {
    if (error instanceof FetchJsonError) throw error
    if (signal.aborted) {
      throw new FetchJsonError('timeout', `${shown} did not answer within ${limits.timeoutMs} ms`, {
        cause: error,
      })
    }
    throw new FetchJsonError('unreachable', `${shown} could not be reached`, { cause: error })
  }
}
