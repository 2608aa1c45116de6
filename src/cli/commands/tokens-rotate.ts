import type { Command } from 'commander'
import { InvalidArgumentError, Option } from 'commander'
import { updateConfig } from '../config.js'
import { loadContext } from '../context.js'
import { type Duration, durationFlagSchema } from '../durations.js'
import { flagParser } from '../flag-parser.js'
import { clockTime, note, printJson, printLine, relativeTime } from '../output.js'
import { resolveKey } from '../resolve-key.js'
import { describeKey } from '../session.js'
import { tokenIdOf } from '../token-text.js'

/**
 * `crumb tokens rotate ID|NAME [--grace 1h]`: mints a replacement key; the old one keeps working
 * for the grace period (0–24 h). Prints the new token once — unless it replaces the key this CLI
 * uses, in which case the config is updated instead.
 */

const MAX_GRACE_MS = 24 * 3_600_000
const parseDurationFlag = flagParser(durationFlagSchema)

function parseGrace(value: string): Duration {
  const grace = parseDurationFlag(value)
  if (grace.ms > MAX_GRACE_MS) throw new InvalidArgumentError('the grace period is at most 24h.')
  return grace
}

/**
 * Registers `crumb tokens rotate`.
 *
 * @example
 * registerTokensRotate(tokens)
 */
export function registerTokensRotate(tokens: Command): void {
  tokens
    .command('rotate')
    .description('replace a key with a new one; the old one keeps working for --grace')
    .argument('<key>', 'key id (tok_…) or the exact name of an active key')
    .addOption(
      new Option('--grace <duration>', 'how long the old key keeps working: 0 to 24h').argParser(parseGrace),
    )
    .option('--show-token', "print the new token even when it replaces this CLI's own key")
    .action(async (ref: string, flags: { grace?: Duration; showToken?: boolean }, command: Command) => {
      const ctx = await loadContext(command)
      const api = await ctx.api({ requireToken: true })
      const { id } = await resolveKey(api, ref)
      const rotated = await api.rotateKey(id, flags.grace?.text)
      const ownKey = ctx.settings.tokenSource === 'config' && tokenIdOf(ctx.config.token) === id
      if (ownKey) await updateConfig(ctx.configPath, (config) => ({ ...config, token: rotated.token }))
      const printToken = !ownKey || flags.showToken === true
      if (ctx.json) {
        printJson({
          ...(printToken ? { token: rotated.token } : {}),
          key: rotated.key,
          previous: rotated.previous ?? null,
        })
        return
      }
      note(`✓ Rotated ${id}: new key ${describeKey(rotated.key)}`)
      // the grace the server applied, not the old key's own expiry (#18 item 1)
      const until = rotated.previous?.grace_ends_at
      if (until)
        note(
          `  The old key keeps working until ${clockTime(until)} (${relativeTime(until)}), then it is revoked.`,
        )
      else note('  The old key is revoked now.')
      if (ownKey) note(`  This CLI now uses the new key (saved in ${ctx.shownConfigPath}).`)
      if (printToken) {
        note('  Copy the new token now: it is not shown again.')
        printLine(rotated.token)
      }
    })
}
