import type { Command } from 'commander'
import { attenuate } from '../../token/attenuate.js'
import { inspectToken } from '../../token/inspect.js'
import { addCaveatOptions, type CaveatFlags, caveatsFromFlags } from '../caveat-flags.js'
import { loadContext } from '../context.js'
import { CliError, UsageError } from '../errors.js'
import { readTokenInput } from '../input.js'
import { printJson, printLine } from '../output.js'
import { normalizeTokenText } from '../token-text.js'
import { whyAdmitsNothing } from './inspect.js'

/**
 * `crumb attenuate [caveat flags] [TOKEN | -]`: narrows a token fully offline — no server, no
 * secret, nothing sent anywhere — and prints the new token on stdout.
 */

/**
 * Registers `crumb attenuate`.
 *
 * @example
 * registerAttenuate(program)
 */
export function registerAttenuate(program: Command): void {
  const command = program
    .command('attenuate')
    .description('narrow a token offline with caveats and print the new token (nothing is sent anywhere)')
    .argument(
      '[token]',
      'token to narrow, or - to read it from stdin (default: a piped stdin, else the logged-in token)',
    )
    .option('--force', 'print the narrowed token even when it admits nothing')
  addCaveatOptions(command, 'expires: a duration from now (30d, 2h) or an RFC 3339 instant')
    .addHelpText(
      'after',
      '\nExamples:\n  crumb attenuate --read-only --expires 2h\n  crumb attenuate --org acme --app web --ops deploy --expires 30d - < ci.token\n  crumb attenuate --device laptop-7 --ip 10.0.0.0/8 | crumb inspect -',
    )
    .action(async (arg: string | undefined, flags: CaveatFlags & { force?: boolean }, cmd: Command) => {
      const ctx = await loadContext(cmd)
      const caveats = caveatsFromFlags(flags, { now: new Date() })
      if (caveats.length === 0) {
        throw new UsageError(
          'nothing to add: pass at least one caveat flag',
          'see `crumb attenuate --help` (--org, --app, --ops, --read-only, --expires, --not-before, --device, --ip)',
        )
      }
      const token = await readTokenInput(arg, ctx.settings.token)
      let narrowed: string
      try {
        narrowed = attenuate(normalizeTokenText(token), caveats)
      } catch (error) {
        const code = (error as { code?: unknown }).code
        throw new CliError(
          code === 'validation_failed' ? 'validation_failed' : 'invalid_token',
          (error as Error).message,
          {
            hint:
              code === 'validation_failed' ? undefined : 'pass a crumb_… token, or - to read it from stdin',
            cause: error,
          },
        )
      }
      // #18 item 8: a token that admits nothing is almost always a mistake (org = acme, then --org beta)
      const why = whyAdmitsNothing(inspectToken(narrowed))
      if (flags.force !== true && why.length > 0) {
        throw new UsageError(
          `the narrowed token admits nothing (${why.join(', ')}); nothing printed`,
          'check the caveats with `crumb inspect`, or pass --force to print it anyway',
        )
      }
      if (ctx.json) printJson({ token: narrowed, caveats })
      else printLine(narrowed)
    })
}
