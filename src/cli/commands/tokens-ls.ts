import type { Command } from 'commander'
import type { Key } from '../api.js'
import { loadContext } from '../context.js'
import { clockTime, printJson, printLine, relativeTime, renderTable } from '../output.js'
import { tokenIdOf } from '../token-text.js'

/**
 * `crumb tokens ls [--include-revoked]`: the keys, one row each — name, hint, source, scope (its
 * caveats), created, expires, last used (with IP) and status. Revoked and expired keys are hidden
 * unless asked.
 */

function lastUsed(key: Key, now: Date): string {
  if (key.last_used_at === null || key.last_used_at === undefined) return 'never'
  const ip = key.last_used_ip ? ` from ${key.last_used_ip}` : ''
  return `${relativeTime(key.last_used_at, now)}${ip}`
}

/** The status column: a rotated key in its grace period shows when it stops (#18 item 1). */
function statusText(key: Key, now: Date): string {
  if (key.status === 'active' && key.grace_ends_at)
    return `active until ${clockTime(key.grace_ends_at, now)}, rotated`
  return key.status
}

/** The scope column: what the key is narrowed to (its caveats), or `full access`. */
function scopeText(key: Key): string {
  return key.caveats.length === 0 ? 'full access' : key.caveats.join('; ')
}

/**
 * The table `tokens ls` prints; `current` marks the key the CLI is using.
 *
 * @example
 * printLine(keysTable(keys, 'tok_…', new Date()))
 */
export function keysTable(keys: readonly Key[], current: string | undefined, now: Date): string {
  return renderTable(
    ['id', 'name', 'hint', 'source', 'scope', 'created', 'expires', 'last used', 'status'],
    keys.map((k) => [
      k.id,
      k.id === current ? `${k.name} *` : k.name,
      k.hint ?? '',
      k.source ?? '',
      scopeText(k),
      relativeTime(k.created_at, now),
      k.status === 'revoked' ? `revoked ${relativeTime(k.revoked_at, now)}` : relativeTime(k.expires_at, now),
      lastUsed(k, now),
      statusText(k, now),
    ]),
  )
}

/**
 * Registers `crumb tokens ls`.
 *
 * @example
 * registerTokensLs(tokens)
 */
export function registerTokensLs(tokens: Command): void {
  tokens
    .command('ls')
    .alias('list')
    .description('list your keys (revoked and expired ones are hidden unless --include-revoked)')
    .option('--include-revoked', 'also show revoked and expired keys')
    .option('--include-expired', 'the same as --include-revoked (the name Coder uses)')
    .action(async (flags: { includeRevoked?: boolean; includeExpired?: boolean }, command: Command) => {
      const ctx = await loadContext(command)
      const api = await ctx.api({ requireToken: true })
      const includeRevoked = flags.includeRevoked === true || flags.includeExpired === true
      const keys = await api.listKeys({ includeRevoked })
      if (ctx.json) {
        printJson({ keys })
        return
      }
      if (keys.length === 0) {
        printLine('No keys.')
        return
      }
      const current = ctx.settings.tokenSource === undefined ? undefined : tokenIdOf(ctx.settings.token)
      printLine(keysTable(keys, current, new Date()))
      // on stdout with the table: human text on one stream per command (#18 item 11)
      if (current !== undefined && keys.some((k) => k.id === current))
        printLine('* the key this CLI is using')
    })
}
