import type { Command } from 'commander'
import { keyNameSchema, VERIFY_OP } from '../../api-fields.js'
import { formatDuration } from '../../duration.js'
import { addCaveatOptions, type CaveatFlags, caveatsFromFlags } from '../caveat-flags.js'
import { loadContext } from '../context.js'
import { UsageError } from '../errors.js'
import { flagParser } from '../flag-parser.js'
import { note, printJson, printLine, relativeTime } from '../output.js'
import { describeKey } from '../session.js'

/**
 * `crumb tokens create --name N [caveat flags]`: mints a new key on the server and prints its
 * token once, on stdout alone (so `$(crumb tokens create …)` captures just the token).
 */

interface CreateFlags extends CaveatFlags {
  name: string
  service?: boolean
}

/**
 * The `expires_in` to send for `--expires`: a duration as given; an instant as whole minutes
 * from now, rounded up (the exact instant also goes in as an `expires` caveat).
 *
 * @example
 * expiresIn({ kind: 'duration', ms: 2_592_000_000, text: '30d' }, new Date()) // '30d'
 */
export function expiresIn(when: NonNullable<CaveatFlags['expires']>, now: Date): string {
  if (when.kind === 'duration') return when.text
  return formatDuration(Math.ceil((when.at - now.getTime()) / 60_000) * 60_000)
}

/**
 * Registers `crumb tokens create`.
 *
 * @example
 * registerTokensCreate(tokens)
 */
export function registerTokensCreate(tokens: Command): void {
  const command = tokens
    .command('create')
    .description('create a key (e.g. for CI) and print its token once')
    .requiredOption('--name <name>', 'what the key is for, e.g. "deploy from CI"', flagParser(keyNameSchema))
    .option(
      '--service',
      `a verifier's service token (ops = ${VERIFY_OP}): reads the revocation feed, verifies and reports usage, nothing else`,
    )
  addCaveatOptions(command, 'key lifetime: 30d, 12h or an RFC 3339 instant (default: the server default)')
    .addHelpText(
      'after',
      '\nExamples:\n  crumb tokens create --name "CI deploy" --org acme --app web --ops deploy --expires 30d\n' +
        '  crumb tokens create --name "deploy-api verifier" --service',
    )
    .action(async (flags: CreateFlags, cmd: Command) => {
      const ctx = await loadContext(cmd)
      const now = new Date()
      // A duration goes as `expires_in`; an instant also as an exact `expires` caveat.
      const caveats = caveatsFromFlags(flags, { now, includeExpires: flags.expires?.kind === 'instant' })
      if (flags.service === true) {
        if (flags.ops !== undefined || flags.readOnly === true)
          throw new UsageError('--service sets the ops itself (ops = verify); drop --ops / --read-only')
        caveats.push(`ops = ${VERIFY_OP}`)
      }
      const api = await ctx.api({ requireToken: true })
      const issued = await api.createKey({
        name: flags.name,
        caveats,
        expiresIn: flags.expires === undefined ? undefined : expiresIn(flags.expires, now),
      })
      if (ctx.json) {
        printJson({ token: issued.token, key: issued.key })
        return
      }
      note(`✓ Created key ${describeKey(issued.key)}, expires ${relativeTime(issued.key.expires_at, now)}`)
      if ((issued.key.caveats ?? []).length > 0) note(`  caveats: ${(issued.key.caveats ?? []).join('; ')}`)
      note('  Copy the token now: it is not shown again.')
      printLine(issued.token)
    })
}
