import { createHash } from 'node:crypto'
import { MAX_VERIFIER_LEEWAY_MS, type RevocationEntry, RevocationList } from '../token/revocation.js'
import { activeKidsDigest, type RevocationFeedJson, revocationFeedSchema } from '../wire/revocation-feed.js'
import type { VerifierLogger } from './options.js'
import { type ServiceFetch, serviceFetch } from './service-fetch.js'

/** What the feed delivered in one response, for listeners (the remote cache drops by token id). */
export interface FeedUpdate {
  /** True when the list was replaced (first snapshot or `reset`): every earlier result is suspect. */
  readonly replaced: boolean
  /** Token ids that gained an entry (whole-token or pair). */
  readonly tokenIds: readonly string[]
  /**
   * The key ids that verify now, when a kid stopped verifying at the token service (retired or
   * removed from its key ring): results under any other kid are suspect. Absent otherwise.
   */
  readonly activeKids?: ReadonlySet<string>
}

/** Options of one revocation sync loop. */
export interface RevocationSyncOptions {
  /** Feed URL (`…/v1/revocations`). */
  readonly url: string
  /** Service token presented as `Authorization: Bearer`. */
  readonly token: string
  /** Long-poll wait asked of the feed, in seconds (tenths allowed, at least 0.5). Default 25. */
  readonly waitSeconds?: number
  /** Backoff after a failed poll: first delay and cap, in ms. Defaults 250 and 10000. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number }
  /**
   * How often the list drops entries whose root token has expired anyway. Default 60000 ms. An
   * entry is kept until its `expires_at` + MAX_VERIFIER_LEEWAY_MS: every verifier sharing the loop
   * still accepts an expired token within its leeway, so the entry must outlive that.
   */
  readonly pruneEveryMs?: number
  readonly fetch?: ServiceFetch
  readonly logger?: VerifierLogger
  /** Clock (tests). */
  readonly now?: () => number
}

type FeedBody = RevocationFeedJson

const FOREVER = 8.64e15

function toEntry(e: FeedBody['entries'][number]): RevocationEntry {
  const at = Date.parse(e.expires_at)
  const expiresAt = new Date(Number.isNaN(at) ? FOREVER : at)
  if (e.revocation_id !== undefined) return { tokenId: e.token_id, revocationId: e.revocation_id, expiresAt }
  // an unreadable effective_at means now (fail closed)
  const from = e.effective_at === undefined ? Number.NaN : Date.parse(e.effective_at)
  return Number.isNaN(from)
    ? { tokenId: e.token_id, expiresAt }
    : { tokenId: e.token_id, expiresAt, effectiveAt: new Date(from) }
}

/** Shortest long-poll asked for, and the wait's resolution (the feed takes tenths of a second). */
const MIN_WAIT_S = 0.5
const roundWait = (seconds: number): number => Math.max(MIN_WAIT_S, Math.round(seconds * 10) / 10)

/**
 * Least time between two polls that come back early with nothing: a feed that does not hold the
 * poll open (or a proxy that cuts it) costs a few requests a second, not a busy loop.
 */
const MIN_EMPTY_POLL_INTERVAL_MS = 200

class FeedError extends Error {
  override readonly name = 'FeedError'
}

/** A failed poll for the log: our own message, else the error's code or name (never a message that may quote a URL). */
function failureForLog(error: unknown): string {
  if (error instanceof FeedError) return error.message
  const { code, name } = error as NodeJS.ErrnoException
  return typeof code === 'string' ? code : String(name)
}

/**
 * One long-poll loop on `GET /v1/revocations`: a full snapshot first, then `since=<cursor>&wait=…`
 * from the cursor each answer gives, so a revocation reaches the list within about a second.
 * Failures back off exponentially (with jitter) and resume from the last cursor; `reset: true`
 * replaces the list. The time of the last successful poll tells how stale the list may be.
 *
 * @example
 * const sync = new RevocationSync({ url: 'http://127.0.0.1:7000/v1/revocations', token: serviceToken })
 * sync.start()
 * await sync.ready()
 * verifyToken(token, { keys, revocations: sync.list })
 */
export class RevocationSync {
  /** The list the loop keeps current; pass it to `verifyToken`. */
  readonly list = new RevocationList()
  readonly #options: RevocationSyncOptions
  readonly #fetch: ServiceFetch
  readonly #now: () => number
  readonly #listeners = new Set<(update: FeedUpdate) => void>()
  readonly #stop = new AbortController()
  #waitSeconds: number
  #cursor: string | undefined
  #lastSyncAt: number | undefined
  #lastPruneAt = 0
  #activeKids: ReadonlySet<string> | undefined
  /** {@link activeKidsDigest} of `#activeKids`, sent with each poll (`kids`). */
  #kidsDigest: string | undefined
  #failures = 0
  #running: Promise<void> | undefined
  #resolveReady!: () => void
  readonly #ready: Promise<void>

  constructor(options: RevocationSyncOptions) {
    this.#options = options
    this.#fetch = options.fetch ?? serviceFetch
    this.#now = options.now ?? Date.now
    this.#waitSeconds = roundWait(options.waitSeconds ?? 25)
    this.#ready = new Promise((resolve) => {
      this.#resolveReady = resolve
    })
  }

  /** Starts the loop (idempotent). */
  start(): void {
    this.#running ??= this.#loop()
  }

  /** Resolves once the first snapshot has been loaded. */
  ready(): Promise<void> {
    return this.#ready
  }

  /** Stops the loop and aborts the poll in flight. */
  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#running
  }

  /** Milliseconds since epoch of the last successful poll, or undefined before the first. */
  get lastSyncAt(): number | undefined {
    return this.#lastSyncAt
  }

  /** The cursor the next poll resumes from (undefined until the first snapshot). */
  get cursor(): string | undefined {
    return this.#cursor
  }

  /**
   * The key ids the token service verifies with, as the feed last reported them (undefined until a
   * service that reports them answers). A result under another kid is stale.
   */
  get activeKids(): ReadonlySet<string> | undefined {
    return this.#activeKids
  }

  /** Polls that failed in a row (0 when healthy). */
  get failures(): number {
    return this.#failures
  }

  /** Lowers the long-poll wait (a verifier with a small maxStaleness needs short polls). */
  limitWait(seconds: number): void {
    this.#waitSeconds = roundWait(Math.min(this.#waitSeconds, seconds))
  }

  /**
   * Calls `listener` after each answer that added entries, replaced the list, or reported that a
   * key id stopped verifying.
   * Returns the function that unsubscribes.
   */
  subscribe(listener: (update: FeedUpdate) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal
    while (!signal.aborted) {
      try {
        const started = this.#now()
        const body = await this.#poll(signal)
        this.#apply(body)
        const elapsed = this.#now() - started
        if (body.entries.length === 0 && body.reset !== true && elapsed < MIN_EMPTY_POLL_INTERVAL_MS) {
          await sleep(MIN_EMPTY_POLL_INTERVAL_MS - elapsed, signal)
        }
        if (this.#failures > 0)
          this.#options.logger?.warn('revocation feed recovered', { url: this.#options.url })
        this.#failures = 0
      } catch (error) {
        if (signal.aborted) break
        this.#failures++
        if (this.#failures === 1 || this.#failures % 20 === 0) {
          this.#options.logger?.warn('revocation feed poll failed; retrying', {
            url: this.#options.url,
            failures: this.#failures,
            error: failureForLog(error),
          })
        }
        await sleep(this.#backoffMs(), signal)
      }
    }
  }

  #backoffMs(): number {
    const initial = this.#options.backoff?.initialMs ?? 250
    const max = this.#options.backoff?.maxMs ?? 10_000
    const exp = Math.min(max, initial * 2 ** Math.min(this.#failures - 1, 20))
    return exp / 2 + Math.random() * (exp / 2)
  }

  async #poll(stop: AbortSignal): Promise<FeedBody> {
    const url = new URL(this.#options.url)
    const wait = this.#cursor === undefined ? 0 : this.#waitSeconds
    if (this.#cursor !== undefined) url.searchParams.set('since', this.#cursor)
    // the key ids held: the feed answers at once when its key ring's differ (a kid retired meanwhile)
    if (this.#cursor !== undefined && this.#kidsDigest !== undefined)
      url.searchParams.set('kids', this.#kidsDigest)
    url.searchParams.set('wait', String(wait))
    const signal = AbortSignal.any([stop, AbortSignal.timeout((wait + 15) * 1000)])
    const res = await this.#fetch(url, {
      headers: { authorization: `Bearer ${this.#options.token}`, accept: 'application/json' },
      signal,
    })
    if (!res.ok) {
      await res.body?.cancel()
      throw new FeedError(`feed answered ${res.status}`)
    }
    const parsed = revocationFeedSchema.safeParse(await res.json())
    if (!parsed.success) throw new FeedError('feed answer does not match the contract')
    return parsed.data
  }

  #apply(body: FeedBody): void {
    const replaced = this.#cursor === undefined || body.reset === true
    // Synchronous from clear to the last add: no request sees a half-loaded list.
    if (replaced) this.list.clear()
    const tokenIds = new Set<string>()
    for (const e of body.entries) {
      this.list.add(toEntry(e), this.#now())
      tokenIds.add(e.token_id)
    }
    this.#cursor = body.cursor
    const activeKids = this.#takeActiveKids(body.active_kids)
    const now = this.#now()
    this.#lastSyncAt = now
    if (now - this.#lastPruneAt >= (this.#options.pruneEveryMs ?? 60_000)) {
      this.list.prune(new Date(now - MAX_VERIFIER_LEEWAY_MS))
      this.#lastPruneAt = now
    }
    if (replaced || tokenIds.size > 0 || activeKids !== undefined) {
      const update: FeedUpdate = {
        replaced,
        tokenIds: [...tokenIds],
        ...(activeKids === undefined ? {} : { activeKids }),
      }
      for (const listener of this.#listeners) listener(update)
    }
    this.#resolveReady()
  }

  /** Keeps the feed's `active_kids`; returns them when a kid held before is no longer among them. */
  #takeActiveKids(reported: readonly string[] | undefined): ReadonlySet<string> | undefined {
    if (reported === undefined) return undefined
    const next = new Set(reported)
    const before = this.#activeKids
    this.#activeKids = next
    this.#kidsDigest = activeKidsDigest(next)
    // the first report (a service that did not report them before may have retired a kid meanwhile)
    if (before === undefined) return next
    for (const kid of before) if (!next.has(kid)) return next
    return undefined
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

interface Shared {
  readonly sync: RevocationSync
  refs: number
}

const shared = new Map<string, Shared>()

/**
 * The process's one loop for a feed (URL + token): started on first use, stopped when the last
 * holder releases it. Verifiers mounted on several routers share it.
 *
 * @example
 * const { sync, release } = acquireRevocationSync({ url, token })
 * await sync.ready()
 * await release()
 */
export function acquireRevocationSync(options: RevocationSyncOptions): {
  sync: RevocationSync
  release: () => Promise<void>
} {
  const key = `${options.url}\n${createHash('sha256').update(options.token).digest('base64url')}`
  let entry = shared.get(key)
  if (entry === undefined) {
    entry = { sync: new RevocationSync(options), refs: 0 }
    shared.set(key, entry)
    entry.sync.start()
  } else if (options.waitSeconds !== undefined) {
    entry.sync.limitWait(options.waitSeconds)
  }
  entry.refs++
  const held = entry
  let released = false
  return {
    sync: held.sync,
    release: async () => {
      if (released) return
      released = true
      held.refs--
      if (held.refs === 0) {
        if (shared.get(key) === held) shared.delete(key)
        await held.sync.stop()
      }
    },
  }
}
