import type { Command } from 'commander'
import { loadContext } from '../context.js'
import { UsageError } from '../errors.js'
import { printJson, printLine, relativeTime, renderTable } from '../output.js'

/**
 * `crumb sessions ls | rm ID | rm --others`: the dashboard's signed-in browsers, as the dashboard's
 * Sessions page shows them, and signing them out (#18 item 11). `rm --others` sends
 * `X-Confirm-Destructive: true`; from the CLI it signs out every session (the CLI is not one).
 */

/**
 * Registers `crumb sessions`.
 *
 * @example
 * registerSessions(program)
 */
export function registerSessions(program: Command): void {
  const sessions = program.command('sessions').description('list and sign out dashboard sessions')
  sessions
    .command('ls')
    .alias('list')
    .description('list the browsers signed in to the dashboard')
    .action(async (_flags: unknown, command: Command) => {
      const ctx = await loadContext(command)
      const api = await ctx.api({ requireToken: true })
      const answer = await api.listSessions()
      if (ctx.json) {
        printJson({ sessions: answer.sessions })
        return
      }
      if (answer.sessions.length === 0) {
        printLine('No dashboard sessions.')
        return
      }
      const now = new Date()
      printLine(
        renderTable(
          ['id', 'signed in', 'last seen', 'ip', 'expires'],
          answer.sessions.map((s) => [
            s.id,
            relativeTime(s.created_at, now),
            relativeTime(s.last_used_at, now),
            s.last_used_ip ?? '-',
            relativeTime(s.expires_at, now),
          ]),
        ),
      )
    })
  sessions
    .command('rm')
    .alias('remove')
    .description('sign out one dashboard session, or --others: every one')
    .argument('[id]', 'the session id (tok_…) from `crumb sessions ls`')
    .option(
      '--others',
      'sign out every dashboard session (all but the caller, which is not one from the CLI)',
    )
    .action(async (id: string | undefined, flags: { others?: boolean }, command: Command) => {
      if ((id === undefined) === (flags.others !== true)) {
        throw new UsageError('pass a session id, or --others', 'see `crumb sessions ls`')
      }
      const ctx = await loadContext(command)
      const api = await ctx.api({ requireToken: true })
      if (id === undefined) {
        const revoked = await api.revokeOtherSessions()
        if (ctx.json) printJson({ revoked })
        else printLine(`✓ Signed out ${revoked} dashboard ${revoked === 1 ? 'session' : 'sessions'}`)
        return
      }
      const key = await api.revokeSession(id)
      if (ctx.json) printJson({ session: key })
      else printLine(`✓ Signed out dashboard session ${key.id}`)
    })
}
