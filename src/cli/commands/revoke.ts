import type { Command } from 'commander'
import { updateConfig } from '../config.js'
import { loadContext } from '../context.js'
import { UsageError } from '../errors.js'
import { readStdin, readTokenInput, stdinIsPiped } from '../input.js'
import { note, printJson, printLine } from '../output.js'

/**
 * `crumb revoke TOKEN|-`: revokes a token through `POST /v1/revocations` (possession is the
 * proof — the route is public). A root token takes its key down; an attenuated one only itself
 * and what was derived from it.
 */

/**
 * Registers `crumb revoke`.
 *
 * @example
 * registerRevoke(program)
 */
export function registerRevoke(program: Command): void {
  program
    .command('revoke')
    .description('revoke a token (and every token derived from it); - reads it from stdin')
    .argument('[token]', 'the token to revoke, or - to read it from stdin (read from a pipe when omitted)')
    .addHelpText('after', '\nExamples:\n  crumb revoke < leaked.token\n  crumb revoke crumb_AgEL…')
    .action(async (arg: string | undefined, _flags: unknown, command: Command) => {
      // no argument: a piped token (#18 item 2), never the saved login
      const piped = arg === undefined && stdinIsPiped() ? (await readStdin()).trim() : ''
      if (arg === undefined && piped === '') {
        throw new UsageError(
          'which token? pass it as an argument, pipe it in, or - to read it from stdin',
          "to revoke this device's own key, use `crumb logout`",
        )
      }
      const ctx = await loadContext(command)
      const token = arg === undefined ? piped : await readTokenInput(arg, undefined)
      const api = await ctx.api({ token: null })
      const { revoked } = await api.revokeToken(token)
      if (ctx.config.token === token) {
        await updateConfig(ctx.configPath, ({ token: _dropped, ...rest }) => rest)
        note('! That was the token this CLI was using; it is removed from the config.')
      }
      if (ctx.json) {
        printJson({ revoked })
      } else if (revoked.revocation_id) {
        printLine(
          `✓ Revoked this token and everything derived from it (key ${revoked.token_id} is unaffected)`,
        )
      } else {
        printLine(`✓ Revoked key ${revoked.token_id} and every token derived from it`)
      }
    })
}
