import type { Command } from 'commander'
import type { Revoked } from '../api.js'
import { updateConfig } from '../config.js'
import { loadContext } from '../context.js'
import { CliError } from '../errors.js'
import { note, printJson, printLine } from '../output.js'
import { tokenIdOf } from '../token-text.js'

/**
 * `crumb logout`: revokes this device's key on the server (`POST /v1/revocations` with its own
 * token) and removes the token from the config. A key that is already dead is just forgotten.
 */

const ALREADY_DEAD = new Set(['token_revoked', 'token_expired', 'invalid_token'])

/**
 * Registers `crumb logout`.
 *
 * @example
 * registerLogout(program)
 */
export function registerLogout(program: Command): void {
  program
    .command('logout')
    .description("revoke this device's key on the server and remove it from the config")
    .action(async (_flags: unknown, command: Command) => {
      const ctx = await loadContext(command)
      const token = ctx.config.token
      if (token === undefined) {
        const envNote = ctx.env.CRUMB_TOKEN
          ? ' (CRUMB_TOKEN is set, but logout only touches the saved login)'
          : ''
        throw new CliError('not_logged_in', `no saved login in ${ctx.shownConfigPath}${envNote}`)
      }
      const api = await ctx.api({ token })
      let revoked: Revoked | undefined
      let alreadyDead: string | undefined
      try {
        // audited as the user logging out, not as an anonymous token holder (#18 item 9)
        revoked = await api.revokeToken(token, 'logout')
      } catch (error) {
        if (!(error instanceof CliError) || !ALREADY_DEAD.has(error.code)) throw error
        alreadyDead = error.code
      }
      await updateConfig(ctx.configPath, ({ token: _dropped, ...rest }) => rest)
      const tokenId = revoked?.revoked.token_id ?? tokenIdOf(token)
      if (ctx.json) {
        printJson({
          revoked: revoked?.revoked ?? null,
          already: alreadyDead ?? null,
          token_id: tokenId ?? null,
          config_path: ctx.configPath,
        })
      } else if (alreadyDead !== undefined) {
        printLine(
          `✓ Logged out: the saved key was already unusable (${alreadyDead}); removed it from ${ctx.shownConfigPath}`,
        )
      } else {
        printLine(
          `✓ Logged out of ${ctx.settings.server}: revoked key ${tokenId ?? ''} and removed it from ${ctx.shownConfigPath}`,
        )
      }
      if (ctx.env.CRUMB_TOKEN) note('! CRUMB_TOKEN is still set in this environment.')
    })
}
