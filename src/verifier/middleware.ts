import type { IncomingHttpHeaders } from 'node:http'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { Dimension } from '../../caveats/index.js'
import { CrumbError } from '../errors.js'
import type { TokenClaims } from '../token/claims.js'
import { type KeyRingSource, readKeyRing, staticKeyRing, watchedKeyRing } from '../token/keyring-source.js'
import { usageTicket } from '../token/usage-ticket.js'
import { attachClaims } from './claims.js'
import { extractToken } from './extract.js'
import { LocalVerifier } from './local.js'
import { parseVerifierOptions, type ResolvedVerifierOptions, type VerifierOptions } from './options.js'
import { sendProblem } from './problem.js'
import { noteResourceMetadata, resourceMetadataFor } from './protected-resource.js'
import { RemoteVerifier } from './remote.js'
import { RequestFactsOf } from './request-facts.js'
import { installRequestSlot } from './request-slot.js'
import { acquireRevocationSync, type RevocationSync } from './revocation-sync.js'
import { UsageReporter } from './usage.js'

/**
 * What a verifier reports about itself (for a health route; nothing secret).
 *
 * @example
 * app.get('/healthz', (_req, res) => res.json({ ok: true, verifier: auth.status() }))
 */
export interface VerifierStatus {
  readonly mode: 'local' | 'remote'
  /** Whether the revocation feed is on at all (`revocations: false` turns it off). */
  readonly feed: boolean
  /** Time of the last successful feed poll, or null before the first. */
  readonly lastSyncAt: Date | null
  /** True when requests are refused (or, with `failOpen`, let through) for lack of a recent sync. */
  readonly stale: boolean
  /** Entries on the revocation list. */
  readonly revocations: number
}

/**
 * The middleware `verifier()` returns, with its lifecycle.
 *
 * @example
 * const auth: Verifier = crumb.verifier(options)
 * app.use(auth)
 * await auth.ready()
 * process.on('SIGTERM', () => void auth.close())
 */
export interface Verifier extends RequestHandler {
  /** Resolves once the first revocation snapshot is loaded (at once without a feed). */
  ready(): Promise<void>
  /** Stops the feed loop (when no other verifier shares it) and flushes usage reports. */
  close(): Promise<void>
  status(): VerifierStatus
}

/** org / app / op are checked per route by `require`, once the route names them. */
const DEFERRED: ReadonlySet<Dimension> = new Set<Dimension>(['org', 'app', 'op'])

/** Longest a request waits for the first snapshot before it is refused as stale. */
const STARTUP_WAIT_MS = 10_000

function stale(): CrumbError {
  return new CrumbError('revocation_list_stale', 'the revocation list is not recent enough to verify tokens')
}

function keySource(o: ResolvedVerifierOptions): KeyRingSource | undefined {
  if (o.keys === undefined) return undefined
  if (typeof o.keys !== 'string') return staticKeyRing(o.keys)
  if (o.keys.trimStart().startsWith('{')) return staticKeyRing(readKeyRing(o.keys))
  return watchedKeyRing(o.keys, {
    onError: (e) => o.logger.warn('key ring file change ignored', { error: e.message }),
  })
}

/**
 * The Express middleware that verifies crumb tokens: reads `Authorization: Bearer <token>[,<discharges>]`
 * or `X-API-Key`, verifies it (locally with the key ring, or remotely with `POST /v1/verify`),
 * checks the revocation list kept current by one long-poll loop per process, and sets `req.crumb`.
 * org / app / op are left to `require()` on each route; device (`Crumb-Device`), ip (`req.ip`) and
 * time caveats are checked here. Failures answer problem+json (401 with `WWW-Authenticate`, 403
 * naming the caveat, 503 `revocation_list_stale` when the feed has been unreachable for longer than
 * `maxStaleness`). Options are checked now: a missing key ring fails here, not at the first request.
 * The client address is `req.ip`: behind a reverse proxy, set Express's `trust proxy` so `ip`
 * caveats see the client rather than the proxy.
 *
 * @example
 * import * as crumb from 'crumb/express'
 * const auth = crumb.verifier({ keys: process.env.CRUMB_KEYRING, server: process.env.CRUMB_SERVER,
 *   serviceToken: process.env.CRUMB_SERVICE_TOKEN, maxStaleness: '5m' })
 * app.use(auth)
 * app.post('/orgs/:org/apps/:app/deploys',
 *   crumb.require({ op: 'deploy', org: (req) => req.params.org, app: (req) => req.params.app }),
 *   (req, res) => res.json({ by: req.crumb?.userId }))
 * await auth.ready()
 */
export function verifier(options: VerifierOptions): Verifier {
  const o = parseVerifierOptions(options)
  const keys = keySource(o)
  installRequestSlot()

  let sync: RevocationSync | undefined
  let release: () => Promise<void> = async () => {}
  if (o.feed !== undefined) {
    const held = acquireRevocationSync({
      url: o.feed.url,
      token: o.feed.token,
      // Polls must come back well within maxStaleness, or a quiet feed would look stale.
      waitSeconds: Math.min(25, o.maxStalenessMs / 3000),
      backoff: { initialMs: 200, maxMs: Math.max(500, Math.min(10_000, o.maxStalenessMs / 4)) },
      fetch: o.fetch,
      logger: o.logger,
    })
    sync = held.sync
    release = held.release
  }

  const remote =
    o.mode === 'remote' && sync !== undefined && o.server !== undefined && o.serviceToken !== undefined
      ? new RemoteVerifier({
          url: `${o.server}/v1/verify`,
          serviceToken: o.serviceToken,
          sync,
          registry: o.registry,
          deferred: DEFERRED,
          leewayMs: o.leewayMs,
          audience: o.audience,
          cache: o.cache,
          timeoutMs: o.timeoutMs,
          fetch: o.fetch,
        })
      : undefined

  const usage =
    o.usage !== undefined && o.server !== undefined && o.serviceToken !== undefined
      ? new UsageReporter({
          url: `${o.server}/v1/usage`,
          serviceToken: o.serviceToken,
          ...o.usage,
          ticketFor: (tokenId: string, kid: string) =>
            keys !== undefined ? usageTicket(keys.current, kid, tokenId) : remote?.ticketFor(tokenId),
          timeoutMs: o.timeoutMs,
          fetch: o.fetch,
          logger: o.logger,
        })
      : undefined

  /** Where 401s point (RFC 9728): looked up when one is sent, so mounting order does not matter. */
  const resourceMetadata = (): string | undefined =>
    o.resourceMetadata ?? (o.audience === undefined ? undefined : resourceMetadataFor(o.audience))
  const refuse = (res: Response, error: unknown): void => sendProblem(res, error, resourceMetadata())

  let warnedFailOpen = 0
  /** Is the revocation list too old to trust? (false without a feed) */
  const isStale = (now: number): boolean => {
    if (sync === undefined) return false
    const last = sync.lastSyncAt
    return last === undefined || now - last > o.maxStalenessMs
  }

  const local =
    keys === undefined
      ? undefined
      : new LocalVerifier({
          keys,
          sync,
          registry: o.registry,
          deferred: DEFERRED,
          leewayMs: o.leewayMs,
          audience: o.audience,
        })

  const accept = (
    req: Request,
    claims: TokenClaims,
    facts: RequestFactsOf,
    headers: IncomingHttpHeaders,
    nowMs: number,
    next: NextFunction,
  ): void => {
    attachClaims(req, claims)
    // Most requests of a busy token land within `usage.resolution` of one already pending: they
    // skip `req.ip` (Express's proxy logic) altogether.
    if (usage !== undefined && !usage.isRecent(claims.tokenId, nowMs))
      usage.record(claims.tokenId, facts.ip, headers['user-agent'], nowMs, claims.kid)
    next()
  }

  /** Waits (bounded) for the first snapshot; true when the list is usable. */
  const awaitFirstSync = async (): Promise<boolean> => {
    if (sync === undefined || sync.lastSyncAt !== undefined) return true
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      sync.ready(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.min(o.maxStalenessMs, STARTUP_WAIT_MS))
      }),
    ])
    clearTimeout(timer)
    return sync.lastSyncAt !== undefined
  }

  const verifyAndAccept = (
    req: Request,
    headers: IncomingHttpHeaders,
    res: Response,
    next: NextFunction,
    token: string,
    now: Date,
  ): void => {
    const facts = new RequestFactsOf(req, headers)
    let claims: TokenClaims | undefined
    try {
      // Local, or a remote answer still cached: no await (a promise hop per request costs more
      // than the check itself).
      if (remote !== undefined) claims = remote.cached(token, facts, now)
      else if (local !== undefined) claims = local.verify(token, facts, now)
      else throw new CrumbError('invalid_token', 'no key ring')
    } catch (error) {
      refuse(res, error)
      return
    }
    if (claims !== undefined) {
      accept(req, claims, facts, headers, now.getTime(), next)
      return
    }
    remote
      ?.verify(token, facts, now)
      .then(
        (verified) => accept(req, verified, facts, headers, now.getTime(), next),
        (error: unknown) => refuse(res, error),
      )
      .catch(next)
  }

  const handle = (req: Request, res: Response, next: NextFunction): void => {
    // Read once: every property read on an Express request is slow (its shape differs per request).
    const headers = req.headers
    const token = extractToken(headers)
    if (token === undefined) {
      if (!o.credentialsRequired) {
        const pointer = resourceMetadata()
        // `require` answers this request's 401: it points where this verifier would.
        if (pointer !== undefined) noteResourceMetadata(req, pointer)
        next()
        return
      }
      refuse(res, new CrumbError('invalid_token', 'no token: send Authorization: Bearer <token>'))
      return
    }
    const nowMs = Date.now()
    if (isStale(nowMs)) {
      if (sync?.lastSyncAt === undefined) {
        // Starting up: hold the request briefly for the first snapshot rather than trust an empty list.
        void awaitFirstSync().then((ok) => {
          if (ok || o.failOpen) verifyAndAccept(req, headers, res, next, token, new Date())
          else refuse(res, stale())
        }, next)
        return
      }
      if (!o.failOpen) {
        refuse(res, stale())
        return
      }
      if (nowMs - warnedFailOpen > 60_000) {
        warnedFailOpen = nowMs
        o.logger.warn('revocation list is stale; verifying anyway (failOpen)')
      }
    }
    verifyAndAccept(req, headers, res, next, token, new Date(nowMs))
  }

  const middleware = handle as Verifier
  middleware.ready = async () => {
    await sync?.ready()
  }
  middleware.close = async () => {
    remote?.close()
    local?.close()
    keys?.close()
    await Promise.all([release(), usage?.close()])
  }
  middleware.status = () => ({
    mode: o.mode,
    feed: sync !== undefined,
    lastSyncAt: sync?.lastSyncAt === undefined ? null : new Date(sync.lastSyncAt),
    stale: isStale(Date.now()),
    revocations: sync?.list.size ?? 0,
  })
  return middleware
}
