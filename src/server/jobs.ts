import { REVOCATION_RETENTION_MS } from '../token/index.js'
import { unusedPhrase } from './auth.js'
import type { ServiceContext } from './context.js'
import { type Actor, audit, revokeKey } from './lifecycle.js'

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
}

const SYSTEM: Actor = { actor: 'system', meta: { ip: null, userAgent: null } }

/**
 * Feed entries are kept this long past their expiry: longer than any verifier's leeway (a token
 * is accepted until `expires` + leeway, so its entry must still be there), with a margin.
 */
function pruneMargin(ctx: Pick<ServiceContext, 'config'>): number {
  return Math.max(ctx.config.leewayMs * 2, REVOCATION_RETENTION_MS)
}

/**
 * Runs every background job once, at the context's clock: rotation grace, unused keys, hard delete
 * of old revoked / expired rows, feed and device-code pruning. A failing key is logged and
 * skipped; the others still run.
 *
 * @example
 * const report = runJobs(app.service) // { rotated: 0, autoRevoked: 1, ... }
 */
export function runJobs(ctx: ServiceContext): JobReport {
  const { store, clock, config, logger } = ctx
  const now = clock.now()
  // uses seen by this process count before anything is judged unused
  ctx.usage.flush()
  const each = <T>(items: readonly T[], fn: (item: T) => boolean): number => {
    let n = 0
    for (const item of items) {
      try {
        if (fn(item)) n++
      } catch (err) {
        logger.error({ err }, 'background job failed on one key')
      }
    }
    return n
  }

  const rotated = each(store.keys.dueForRevocation(now), (key) => {
    revokeKey(ctx, {
      key,
      who: SYSTEM,
      event: 'revoked',
      reason: 'rotated',
      protectLast: false,
      detail: { replaced_by: key.replacedBy },
    })
    return true
  })

  const unusedCutoff = new Date(now.getTime() - config.unusedKeyTtlMs)
  const autoRevoked = each(store.keys.unusedSince(unusedCutoff, now), (key) => {
    revokeKey(ctx, {
      key,
      who: SYSTEM,
      event: 'auto_revoked',
      reason: 'unused',
      protectLast: false,
      detail: {
        unused_since: key.lastUsedAt ?? key.createdAt,
        message: `revoked ${unusedPhrase(key.lastUsedAt ?? key.createdAt)}`,
      },
    })
    return true
  })

  const retentionCutoff = new Date(now.getTime() - config.revokedRetentionMs)
  const old = [
    ...store.keys.revokedBefore(retentionCutoff, now),
    ...store.keys.expiredBefore(retentionCutoff, now),
  ]
  const hardDeleted = each(old, (key) =>
    store.transaction(() => {
      if (key.revokedAt !== null) {
        // the entry outlives the row (it is pruned when the token would have expired anyway)
        store.revocations.add({ tokenId: key.id, expiresAt: key.expiresAt, createdAt: now })
      }
      if (!store.keys.hardDelete(key.id)) return false
      audit(ctx, SYSTEM, 'hard_deleted', key.userId, key.id, {
        name: key.name,
        reason: key.revokedAt !== null ? 'revoked' : 'expired',
      })
      return true
    }),
  )

  const pruned = ctx.feed.prune(pruneMargin(ctx))
  const deviceCodesPruned = store.deviceCodes.prune(now)
  ctx.feed.sync()
  const report = { rotated, autoRevoked, hardDeleted, pruned, deviceCodesPruned }
  if (rotated + autoRevoked + hardDeleted + pruned + deviceCodesPruned > 0)
    logger.info({ jobs: report }, 'jobs ran')
  return report
}

/** Handle of the job timer. */
export interface Jobs {
  /** Runs the jobs now (also what the timer calls). */
  runOnce(): JobReport
  /** Stops the timer; a run in progress finishes (runs are synchronous). */
  stop(): void
}

/**
 * Runs the jobs at once, then every `intervalMs` (the timer does not keep the process alive).
 *
 * @example
 * const jobs = startJobs(app.service, config.jobIntervalMs)
 * jobs.stop()
 */
export function startJobs(ctx: ServiceContext, intervalMs: number): Jobs {
  const safeRun = (): void => {
    try {
      runJobs(ctx)
    } catch (err) {
      ctx.logger.error({ err }, 'background jobs failed')
    }
  }
  safeRun()
  const timer = setInterval(safeRun, intervalMs)
  timer.unref()
  return {
    runOnce: () => runJobs(ctx),
    stop: () => clearInterval(timer),
  }
}
