import type { Command } from 'commander'
import { updateConfig } from '../config.js'
import { loadContext } from '../context.js'
import { CliError, UsageError } from '../errors.js'
import { confirm, stdinIsTty } from '../input.js'
import { printJson, printLine } from '../output.js'
import { resolveKey } from '../resolve-key.js'
import { tokenIdOf } from '../token-text.js'

/**
 * `crumb tokens rm ID|NAME [--delete [--yes]]`: revokes a key and keeps its row for
 * the audit trail; `--delete` removes the row too, after a confirmation prompt or `--yes`.
 * Without a terminal to ask, `--delete` needs `--yes`.
 */

interface RmFlags {
  delete?: boolean
  yes?: boolean
}

/**
 * Registers `crumb tokens rm`.
 *
 * @example
 * registerTokensRm(tokens)
 */
export function registerTokensRm(tokens: Command): void {
  tokens
    .command('rm')
    .alias('remove')
    .description('revoke a key (it stops working; the row stays for the audit trail); --delete removes it')
    .argument('<key>', 'key id (tok_…) or the exact name of an active key')
    .option('--delete', 'delete the key permanently (asks first)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ref: string, flags: RmFlags, command: Command) => {
      if (flags.delete === true && flags.yes !== true && !stdinIsTty()) {
        throw new UsageError(
          'refusing to delete a key permanently without confirmation: stdin is not a terminal',
          'pass --yes to delete anyway, or drop --delete to only expire it',
        )
      }
      const ctx = await loadContext(command)
      const api = await ctx.api({ requireToken: true })
      const { id, key: found } = await resolveKey(api, ref, { inactive: flags.delete === true })
      const label = found === undefined ? id : `${JSON.stringify(found.name)} (${id})`
      const ownKey = ctx.settings.tokenSource === 'config' && tokenIdOf(ctx.config.token) === id
      if (flags.delete === true) {
        if (flags.yes !== true) {
          const ok = await confirm(
            `Delete key ${label} permanently? It stops working; its audit events stay. [y/N] `,
          )
          if (!ok) throw new CliError('confirmation_declined', 'nothing was deleted')
        }
        await api.deleteKey(id)
        if (ownKey) await updateConfig(ctx.configPath, ({ token: _dropped, ...rest }) => rest)
        if (ctx.json) printJson({ deleted: { id, name: found?.name ?? null } })
        else printLine(`✓ Deleted key ${label}`)
      } else {
        const key = await api.revokeKey(id)
        if (ownKey) await updateConfig(ctx.configPath, ({ token: _dropped, ...rest }) => rest)
        if (ctx.json) printJson({ key })
        else {
          // one word for a removed key: "revoked", as the list and the API say it (#18 item 10)
          printLine(`✓ Revoked key ${JSON.stringify(key.name)} (${key.id}): it no longer authenticates`)
          printLine('  `crumb tokens ls --include-revoked` still lists it; `--delete` removes it for good.')
        }
      }
      if (ownKey) printLine('! That was the key this CLI was using; run `crumb login` to sign in again.')
    })
}
