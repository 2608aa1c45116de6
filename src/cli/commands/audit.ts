import type { Command } from 'commander'
import type { AuditEvent } from '../api.js'
import { loadContext } from '../context.js'
import { note, printJson, printLine, renderTable } from '../output.js'
import { resolveKey } from '../resolve-key.js'

/**
 * `crumb audit [--key ID|NAME] [--all]`: the append-only audit log — created, renamed, revoked,
 * replaced, rotated, deleted, logins — with actor, IP and user agent.
 */

function actorText(actor: unknown): string {
  if (actor === null || actor === undefined) return '-'
  if (typeof actor === 'string') return actor
  if (typeof actor === 'object') {
    const a = actor as Record<string, unknown>
    for (const field of ['email', 'user_id', 'id', 'type']) {
      if (typeof a[field] === 'string') return a[field] as string
    }
  }
  return JSON.stringify(actor)
}

/**
 * The event in words where the name alone misleads (#18 items 5, 9): a revoked attenuated token
 * leaves its key active; a logout, the unused-key job and rotation say so.
 *
 * @example
 * eventText({ event: 'revoked', detail: { attenuated: true, key_still_active: true } })
 * // 'revoked an attenuated token of this key (key still active)'
 */
export function eventText(e: Pick<AuditEvent, 'event' | 'detail'>): string {
  const d = e.detail ?? {}
  if (e.event === 'revoked' && d.attenuated === true) {
    return `revoked an attenuated token of this key${d.key_still_active === false ? '' : ' (key still active)'}`
  }
  if (e.event === 'revoked' && d.reason === 'logout') return 'revoked (logged out)'
  if (e.event === 'revoked' && d.reason === 'rotated') return 'revoked (rotation grace ended)'
  if (e.event === 'auto_revoked' && typeof d.message === 'string') return `auto_revoked (${d.message})`
  return e.event
}

function at(iso: string): string {
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * Registers `crumb audit`.
 *
 * @example
 * registerAudit(program)
 */
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('show the audit log of your keys')
    .option('--key <key>', 'only events of this key (id tok_… or name)')
    .option('--cursor <cursor>', 'start after this cursor (from a previous page)')
    .option('--all', 'follow the cursor to the end of the log')
    .action(async (flags: { key?: string; cursor?: string; all?: boolean }, command: Command) => {
      const ctx = await loadContext(command)
      const api = await ctx.api({ requireToken: true })
      const keyId =
        flags.key === undefined ? undefined : (await resolveKey(api, flags.key, { inactive: true })).id
      const events: AuditEvent[] = []
      let cursor = flags.cursor
      let next: string | undefined
      for (let page = 0; page < 1000; page++) {
        const answer = await api.audit({ keyId, cursor })
        events.push(...answer.events)
        next =
          answer.next_cursor === null || answer.next_cursor === undefined
            ? undefined
            : String(answer.next_cursor)
        if (flags.all !== true || next === undefined || answer.events.length === 0) break
        cursor = next
      }
      if (ctx.json) {
        printJson({ events, next_cursor: flags.all === true ? null : (next ?? null) })
        return
      }
      if (events.length === 0) {
        printLine('No events.')
        return
      }
      printLine(
        renderTable(
          ['time', 'event', 'key', 'actor', 'ip', 'user agent'],
          events.map((e) => [
            at(e.at),
            eventText(e),
            e.key_id ?? '-',
            actorText(e.actor),
            e.ip ?? '-',
            e.user_agent ?? '-',
          ]),
        ),
      )
      if (flags.all !== true && next !== undefined) note(`More: crumb audit --cursor ${next}  (or --all)`)
    })
}
