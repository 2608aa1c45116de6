import { LRUCache } from 'lru-cache'
import type { ClientMetadata } from './client-metadata.js'

/** The shortest a fetched Client ID Metadata Document is kept, whatever its headers say (`no-store` included). */
export const CLIENT_DOCUMENT_MIN_TTL_MS = 60_000
/** The longest a fetched document is kept, whatever its headers say. */
export const CLIENT_DOCUMENT_MAX_TTL_MS = 3_600_000
/** How long a document without `Cache-Control: max-age` or `Expires` is kept. */
export const CLIENT_DOCUMENT_DEFAULT_TTL_MS = 300_000
/** Most documents kept at once (the least recently used goes first). */
export const CLIENT_DOCUMENT_CACHE_ENTRIES = 500
/** Most bytes of kept metadata (JSON length), so 500 large documents cannot take much memory. */
export const CLIENT_DOCUMENT_CACHE_BYTES = 4 * 1024 * 1024

const clamp = (ms: number): number =>
  Math.min(CLIENT_DOCUMENT_MAX_TTL_MS, Math.max(CLIENT_DOCUMENT_MIN_TTL_MS, ms))

/** `max-age` (seconds) of a Cache-Control header, and whether it forbids reuse without revalidation. */
function cacheControl(value: string | null): { maxAge: number | undefined; noReuse: boolean } {
  let maxAge: number | undefined
  let noReuse = false
  for (const part of (value ?? '').split(',')) {
    const [name = '', arg] = part.trim().toLowerCase().split('=', 2)
    if (name === 'no-store' || name === 'no-cache') noReuse = true
    if (name === 'max-age' && arg !== undefined) {
      const seconds = /^"?(\d{1,10})"?$/.exec(arg)?.[1]
      // RFC 9111 §4.2.1: an unreadable max-age makes the response stale
      maxAge = seconds === undefined ? 0 : Number(seconds)
    }
  }
  return { maxAge, noReuse }
}

/**
 * How long a Client ID Metadata Document may be reused, from its response headers (RFC 9111
 * §4.2.1, as a private cache): `no-store` or `no-cache` → at once stale; `max-age` less `Age`;
 * else `Expires` less `Date` (`nowMs` when the response has none; an unreadable `Expires` is
 * stale); else {@link CLIENT_DOCUMENT_DEFAULT_TTL_MS}. Always within
 * [{@link CLIENT_DOCUMENT_MIN_TTL_MS}, {@link CLIENT_DOCUMENT_MAX_TTL_MS}]: a document is never
 * fetched more than once a minute, nor trusted for more than an hour.
 *
 * @example
 * documentTtlMs(new Headers({ 'cache-control': 'max-age=600' }), Date.now()) // 600_000
 */
export function documentTtlMs(headers: Headers, nowMs: number): number {
  const { maxAge, noReuse } = cacheControl(headers.get('cache-control'))
  if (noReuse) return clamp(0)
  if (maxAge !== undefined) {
    const age = Number(/^\d{1,10}$/.exec(headers.get('age')?.trim() ?? '')?.[0] ?? 0)
    return clamp((maxAge - age) * 1000)
  }
  const expires = headers.get('expires')
  if (expires !== null) {
    const at = Date.parse(expires)
    const date = Date.parse(headers.get('date') ?? '')
    return clamp(Number.isNaN(at) ? 0 : at - (Number.isNaN(date) ? nowMs : date))
  }
  return clamp(CLIENT_DOCUMENT_DEFAULT_TTL_MS)
}

/** A document as fetched: what it says and the headers it came with. */
export interface FetchedClientDocument {
  readonly metadata: ClientMetadata
  readonly headers: Headers
}

/**
 * The Client ID Metadata Documents a service has fetched, by client id (URL), each kept as long as
 * {@link documentTtlMs} says, in a bounded LRU. Requests for a document being fetched wait for
 * that fetch instead of starting another; a fetch that fails is not kept (the next request tries
 * again).
 *
 * @example
 * const cache = new ClientDocumentCache(() => Date.now())
 * const metadata = await cache.get(url, () => readClientIdDocument(url, { allowLoopback: false }))
 */
export class ClientDocumentCache {
  readonly #now: () => number
  readonly #entries = new LRUCache<string, { readonly metadata: ClientMetadata; readonly until: number }>({
    max: CLIENT_DOCUMENT_CACHE_ENTRIES,
    maxSize: CLIENT_DOCUMENT_CACHE_BYTES,
    sizeCalculation: (entry, key) => key.length + JSON.stringify(entry.metadata).length,
  })
  readonly #fetching = new Map<string, Promise<ClientMetadata>>()

  /** `now`: the service's clock, in milliseconds. */
  constructor(now: () => number) {
    this.#now = now
  }

  /** The document of `clientId`: kept, being fetched, or fetched now with `fetchDocument`. */
  get(clientId: string, fetchDocument: () => Promise<FetchedClientDocument>): Promise<ClientMetadata> {
    const kept = this.#entries.get(clientId)
    if (kept !== undefined && this.#now() < kept.until) return Promise.resolve(kept.metadata)
    const pending = this.#fetching.get(clientId)
    if (pending !== undefined) return pending
    const fetching = fetchDocument()
      .then(({ metadata, headers }) => {
        const now = this.#now()
        this.#entries.set(clientId, { metadata, until: now + documentTtlMs(headers, now) })
        return metadata
      })
      .finally(() => this.#fetching.delete(clientId))
    this.#fetching.set(clientId, fetching)
    return fetching
  }
}
