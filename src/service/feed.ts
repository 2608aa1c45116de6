import type { Logger } from 'pino'
import { coalesced } from '../coalesced.js'
import type { FeedRead, Store } from '../store/index.js'
import { type KeyRing, RevocationList } from '../token/index.js'
import { activeKidsDigest } from '../wire/revocation-feed.js'
import type { Clock } from './clock.js'

/** Longest long-poll the feed holds open, in seconds. */
export const FEED_MAX_WAIT_S = 30

/** How often, while long-polls wait, the key ring is looked at for a kid that stopped verifying. */
const RING_CHECK_MS = 500

/** The key ids of a ring that verify (not retired), and their digest. */
export interface ActiveKids {
  readonly kids: readonly string[]
  /** {@link activeKidsDigest} of `kids`: what a verifier sends back as `kids`. */
  readonly digest: string
}

/**
 * The revocation feed and the in-memory revocation list the service verifies its own API against.
 * The store tells it when entries may have been committed (`watchRevocations`, this process or
 * another); it then loads them into the list and answers the long-polls waiting for them. Given the
 * service's key ring, it also answers a long-poll whose reader holds other active key ids than the
 * ring's (a kid retired): remote verifiers drop what they cached under it.
 *
 * @example
 * const feed = new RevocationFeed(store, clock, logger)
 * const page = await feed.poll(cursor, 30_000) // waits for an entry after `cursor`
 */
export class RevocationFeed {
  /** What `verifyToken` checks on the service's own API. */
  readonly list = new RevocationList()
  readonly #store: Store
  readonly #clock: Clock
  readonly #logger: Logger | undefined
  readonly #waiters = new Set<() => void>()
  readonly #unwatch: () => void
  readonly #ring: (() => KeyRing) | undefined
  #active: { readonly ring: KeyRing; readonly kids: ActiveKids } | undefined
  #ringCheck: NodeJS.Timeout | undefined
  #cursor: string | undefined
  /** {@link sync}'s reads: the one running now, and one queued behind it for the calls meanwhile. */
  readonly #coalescedLoad = coalesced(() => this.#loadNew())
  #closed = false
  /** Bumped by every change notice: a read started after it sees what the notice announced. */
  #generation = 0
  /** Reads in flight, by generation and cursor: long-polls woken together share one. */
  readonly #reads = new Map<string, Promise<FeedRead>>()
  /**
   * The last page read for a cursor (by {@link sync} or a long-poll), kept for its generation: a
   * long-poll's first read, right after the `sync` of its authentication, is otherwise the same
   * read again (#17). Within a generation the feed has learned nothing new (a notice, or a sync
   * that finds entries, starts the next one), so a fresh read could only add what this process
   * has not learned of yet — and a long-poll waiting for that is woken when it is learned.
   */
  #last:
    | { readonly generation: number; readonly cursor: string | undefined; readonly page: FeedRead }
    | undefined

  /** `ring` reads the service's current key ring (a watched file may change). */
  constructor(store: Store, clock: Clock, logger?: Logger, ring?: () => KeyRing) {
    this.#store = store
    this.#clock = clock
    this.#logger = logger
    this.#ring = ring
    this.#unwatch = store.watchRevocations(() => this.#changed())
    // the list warmed at start, so the first request does not load it all
    this.sync().catch((err: unknown) => this.#logger?.warn({ err }, 'revocation feed sync failed'))
  }

  /**
   * The key ids that verify now (not retired) and their digest, which feed answers carry so remote
   * verifiers drop cached answers under a retired kid. Undefined without a ring.
   */
  activeKids(): ActiveKids | undefined {
    const ring = this.#ring?.()
    if (ring === undefined) return undefined
    if (this.#active?.ring !== ring) {
      const kids = [...ring.keys.values()].filter((k) => k.retiredAt === undefined).map((k) => k.kid)
      this.#active = { ring, kids: { kids, digest: activeKidsDigest(kids) } }
    }
    return this.#active.kids
  }

  /** Long-polls currently waiting. */
  get waiting(): number {
    return this.#waiters.size
  }

  // A change — a notice from the store, or a sync that found entries (or a new cursor) no notice
  // announced yet, such as another instance's commit read before its notification arrived — wakes
  // the long-polls, which read from their cursors. The list is not read here: every use of it syncs
  // first (authentication, introspection, the jobs), so a notice with nobody waiting costs no read
  // (#17: every revocation notifies every instance).
  #changed(): void {
    this.#generation++
    this.#last = undefined
    for (const w of [...this.#waiters]) w()
  }

  #remember(generation: number, cursor: string | undefined, page: FeedRead): void {
    if (generation === this.#generation) this.#last = { generation, cursor, page }
  }

  /**
   * Loads entries committed since the last sync into the list. Cheap when nothing changed (one
   * indexed read). A call waits for a read that starts after it (so a commit before the call is
   * never left out) and for no more than that: calls during a read share the one read queued
   * behind it, and a steady stream of calls cannot keep an earlier caller waiting. Returns how
   * many entries the read it waited for loaded.
   */
  sync(): Promise<number> {
    if (this.#closed) return Promise.resolve(0)
    return this.#coalescedLoad()
  }

  // what one sync does: pages of entries after the cursor, into the list
  async #loadNew(): Promise<number> {
    let loaded = 0
    for (;;) {
      const generation = this.#generation
      const cursor = this.#cursor
      const page = await this.#store.revocations.read(cursor)
      const now = this.#clock.now().getTime()
      for (const e of page.entries) {
        this.list.add(
          {
            tokenId: e.tokenId,
            ...(e.revocationId === undefined ? {} : { revocationId: e.revocationId }),
            expiresAt: new Date(e.expiresAt),
            // an unreadable instant is an invalid Date, which the list takes as "at once"
            ...(e.effectiveAt === undefined ? {} : { effectiveAt: new Date(e.effectiveAt) }),
          },
          now,
        )
      }
      loaded += page.entries.length
      const moved = page.cursor !== cursor
      this.#cursor = page.cursor
      if (moved) this.#changed()
      else this.#remember(generation, cursor, page)
      if (!moved || page.entries.length === 0) break
    }
    return loaded
  }

  /**
   * One page after `since` (undefined: a full snapshot). With `waitMs` > 0 and a cursor given, an
   * empty page waits until an entry arrives, `waitMs` passes, `signal` aborts or the feed closes,
   * or (given `kids`, the digest of the active key ids the reader holds) the ring's differ.
   *
   * @example
   * const page = await feed.poll('42', 30_000, abort.signal, digest)
   */
  async poll(since: string | undefined, waitMs = 0, signal?: AbortSignal, kids?: string): Promise<FeedRead> {
    let generation = this.#generation
    const first = await this.#read(since)
    // the reader holds other active key ids than the ring's: answer now, so it drops what it cached
    const ringDiffers = (): boolean => {
      const active = kids === undefined ? undefined : this.activeKids()
      return active !== undefined && active.digest !== kids
    }
    if (
      since === undefined ||
      first.entries.length > 0 ||
      first.reset !== undefined ||
      waitMs <= 0 ||
      ringDiffers()
    )
      return first
    const deadline = Date.now() + waitMs
    let page = first
    while (!this.#closed && !signal?.aborted && Date.now() < deadline) {
      // a notice that came while the last read ran may be news that read missed: read again at once
      if (generation === this.#generation) await this.#wait(deadline - Date.now(), signal)
      if (this.#closed || signal?.aborted) break
      generation = this.#generation
      page = await this.#read(first.cursor)
      if (page.entries.length > 0 || page.reset !== undefined || ringDiffers()) return page
    }
    return page
  }

  /**
   * One page after `cursor`, shared with every caller asking for the same cursor since the same
   * change notice: a revocation wakes every long-poll at once, and those holding one cursor (most
   * verifiers) cost the store one read instead of one each. A page that {@link sync} (or another
   * long-poll) read for this cursor since the notice is taken as it is (see `#last`).
   */
  #read(cursor: string | undefined): Promise<FeedRead> {
    const generation = this.#generation
    const last = this.#last
    if (last?.generation === generation && last.cursor === cursor) return Promise.resolve(last.page)
    const key = `${generation}\n${cursor ?? ''}`
    let read = this.#reads.get(key)
    if (read === undefined) {
      read = this.#store.revocations.read(cursor).finally(() => this.#reads.delete(key))
      read.then(
        (page) => this.#remember(generation, cursor, page),
        () => undefined, // the callers see the failure
      )
      this.#reads.set(key, read)
    }
    return read
  }

  #wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        this.#waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
      this.#waiters.add(done)
      this.#watchRing()
    })
  }

  // A key ring change has no notification of its own (the file is watched for the ring, not for
  // the feed): while long-polls wait, look at the ring a few times a second, and wake them on a change.
  #watchRing(): void {
    const ringOf = this.#ring
    if (ringOf === undefined || this.#ringCheck !== undefined) return
    let seen = ringOf()
    this.#ringCheck = setInterval(() => {
      if (this.#waiters.size === 0) {
        clearInterval(this.#ringCheck)
        this.#ringCheck = undefined
        return
      }
      const ring = ringOf()
      if (ring === seen) return
      seen = ring
      for (const w of [...this.#waiters]) w()
    }, RING_CHECK_MS)
    this.#ringCheck.unref()
  }

  /**
   * Drops entries whose root token expired before `now - marginMs` from the store and the list
   * (the margin covers verifiers' clock-skew leeway). Returns how many entries were deleted.
   */
  async prune(marginMs: number): Promise<number> {
    const cutoff = new Date(this.#clock.now().getTime() - marginMs)
    const removed = await this.#store.revocations.prune(cutoff)
    this.list.prune(cutoff)
    this.#last = undefined
    return removed
  }

  /** Answers every open long-poll now and stops watching (for shutdown). */
  close(): void {
    this.#closed = true
    this.#unwatch()
    clearInterval(this.#ringCheck)
    this.#ringCheck = undefined
    for (const w of [...this.#waiters]) w()
  }
}
