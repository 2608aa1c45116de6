import { REVOCATION_RETENTION_MS } from '../token/index.js'
import { audit } from './audit.js'
import { unusedPhrase } from './authenticate.js'
import { type Service, SYSTEM } from './context.js'
import { type RevokeKeyOptions, revokeKeyIn } from './keys.js'

/** What one run of the background jobs did. */
export interface JobReport {
  /** Keys revoked because their rotation grace ended. */
  readonly rotated: number
  /** Keys revoked because they went unused (`auto_revoked`). */
  readonly autoRevoked: number
  /** Revoked or long-expired key rows deleted (`hard_deleted`). */
  readonly hardDeleted: number
  /** Revocation entries dropped because their root token has expired. */
  readonly pruned: number
  /** Expired device authorization requests dropped. */
  readonly deviceCodesPruned: number
  /** OAuth authorization requests (a day past their expiry) and expired refresh tokens dropped. */
  readonly oauthPruned: number
}

/** OAuth authorization requests are kept this long past their expiry, so a replayed code is still recognised. */
const OAUTH_REQUEST_RETENTION_MS = 86_400_000

/**
 * Feed entries are kept this long past their expiry: longer than any verifier's leeway (a token
 * is accepted until `expires` + leeway, so its entry must still be there), with a margin.
 */
function pruneMargin(svc: Pick<Service, 'config'>): number {
  return Math.max(svc.config.leewayMs * 2, REVOCATION_RETENTION_MS)
}

/**
 * Runs every background job once, at the service's clock: rotation grace, unused keys, hard delete
 * of old revoked / expired rows, feed and device-code pruning. A failing key is logged and skipped;
 * the others still run. Each step is idempotent, so two instances running it at once do not
 * double-act (a key already revoked or deleted is skipped inside its transaction).
 *
 * @example
 * const report = await runJobs(svc) // { rotated: 0, autoRevoked: 1, ... }
 */
export async function runJobs(svc: Service): Promise<JobReport> {
  const { store, clock, config, logger } = svc
  const now = clock.now()
  // uses seen by this process count before anything is judged unused
  await svc.usage.flush()
  // true only for the instance whose transaction revoked it: another instance running the jobs at
  // the same moment finds the key revoked already and counts (and audits) nothing
  const revokeOnce = (options: RevokeKeyOptions): Promise<boolean> =>
    store.transaction((tx) => revokeKeyIn(svc, tx, options, now))
  const each = async <T>(items: readonly T[], fn: (item: T) => Promise<boolean>): Promise<number> => {
    let n = 0
    for (const item of items) {
      try {
        if (await fn(item)) n++
      } catch (err) {
        logger.error({ err }, 'background job failed on one key')
      }
    }
    return n
  }

  const rotated = await each(await store.keys.dueForRevocation(now), (key) =>
    revokeOnce({
      key,
      who: SYSTEM,
      event: 'revoked',
      reason: 'rotated',
      protectLast: false,
      detail: { replaced_by: key.replacedBy },
    }),
  )

  const unusedCutoff = new Date(now.getTime() - config.unusedKeyTtlMs)
  const autoRevoked = await each(await store.keys.unusedSince(unusedCutoff, now), (key) =>
    revokeOnce({
      key,
      who: SYSTEM,
      event: 'auto_revoked',
      reason: 'unused',
      protectLast: false,
      detail: {
        unused_since: key.lastUsedAt ?? key.createdAt,
        message: `revoked ${unusedPhrase(key.lastUsedAt ?? key.createdAt)}`,
      },
    }),
  )

  const retentionCutoff = new Date(now.getTime() - config.revokedRetentionMs)
  const old = [
    ...(await store.keys.revokedBefore(retentionCutoff, now)),
    ...(await store.keys.expiredBefore(retentionCutoff, now)),
  ]
  const hardDeleted = await each(old, (key) =>
    store.transaction(async (tx) => {
      if (!(await tx.keys.hardDelete(key.id))) return false
      await audit(svc, tx, SYSTEM, 'hard_deleted', key.userId, key.id, {
        name: key.name,
        reason: key.revokedAt !== null ? 'revoked' : 'expired',
      })
      if (key.revokedAt !== null) {
        // the entry outlives the row (it is pruned when the token would have expired anyway)
        await tx.revocations.add({ tokenId: key.id, expiresAt: key.expiresAt, createdAt: now })
      }
      return true
    }),
  )

  const pruned = await svc.feed.prune(pruneMargin(svc))
  const deviceCodesPruned = await store.deviceCodes.prune(now)
  const oauthPruned = await store.oauth.prune(now, new Date(now.getTime() - OAUTH_REQUEST_RETENTION_MS))
  await svc.feed.sync()
  const report = { rotated, autoRevoked, hardDeleted, pruned, deviceCodesPruned, oauthPruned }
  if (rotated + autoRevoked + hardDeleted + pruned + deviceCodesPruned + oauthPruned > 0)
    logger.info({ jobs: report }, 'jobs ran')
  return report
}

/** Handle of the job timer. */
export interface Jobs {
  /** Runs the jobs now (also what the timer calls). */
  runOnce(): Promise<JobReport>
  /** Resolves once the runs started so far have finished. */
  idle(): Promise<void>
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>
}

/**
 * Runs the jobs at once, then every `intervalMs` (the timer does not keep the process alive).
 * Runs never overlap.
 *
 * @example
 * const jobs = startJobs(svc, config.jobIntervalMs)
 * await jobs.stop()
 */
export function startJobs(svc: Service, intervalMs: number): Jobs {
  let running: Promise<unknown> = Promise.resolve()
  const safeRun = (): void => {
    running = running.then(() =>
      runJobs(svc).catch((err: unknown) => svc.logger.error({ err }, 'background jobs failed')),
    )
  }
  safeRun()
  const timer = setInterval(safeRun, intervalMs)
  timer.unref()
  return {
    runOnce: () => runJobs(svc),
    idle: async () => {
      await running
    },
    stop: async () => {
      clearInterval(timer)
      await running
    },
  }
}
