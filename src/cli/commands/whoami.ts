import type { Command } from 'commander'
import { loadContext } from '../context.js'
import { describeTime, printJson, printLine, renderPairs } from '../output.js'
import { describeKey } from '../session.js'

/** `crumb whoami`: who the token belongs to, which key it is, and what it may do. */

function listText(value: unknown): string {
  if (value === null || value === undefined) return 'any'
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',')
  return String(value)
}

/**
 * One line for the scope `GET /v1/whoami` reports: `ops=read orgs=acme apps=any devices=any`.
 *
 * @example
 * scopeLine({ ops: ['read'], orgs: null }) // 'ops=read orgs=any'
 */
export function scopeLine(scope: unknown): string | undefined {
  if (scope === null || typeof scope !== 'object') return undefined
  const s = scope as Record<string, unknown>
  const parts = ['ops', 'orgs', 'apps', 'devices'].filter((k) => k in s).map((k) => `${k}=${listText(s[k])}`)
  if (typeof s.not_before === 'string') parts.push(`not-before=${s.not_before}`)
  if (typeof s.expires_at === 'string') parts.push(`until=${s.expires_at.replace('.000Z', 'Z')}`)
  if (s.attenuated === true) parts.push('(attenuated token)')
  return parts.join(' ')
}

/**
 * Registers `crumb whoami`.
 *
 * @example
 * registerWhoami(program)
 */
export function registerWhoami(program: Command): void {
  program
    .command('whoami')
    .description('show the signed-in user, the key in use and its scope')
    .action(async (_flags: unknown, command: Command) => {
      const ctx = await loadContext(command)
      const api = await ctx.api({ requireToken: true })
      const me = await api.whoami()
      if (ctx.json) {
        printJson({ server: ctx.settings.server, device: ctx.settings.device, ...me })
        return
      }
      const pairs: [string, string][] = [
        ['Server', ctx.settings.server],
        ['User', `${me.user.email ?? ''} (${me.user.id})`.trim()],
      ]
      if (me.key !== undefined) {
        pairs.push(['Key', describeKey(me.key)])
        if (me.key.source !== undefined) pairs.push(['Source', me.key.source])
        pairs.push(['Expires', describeTime(me.key.expires_at)])
      }
      pairs.push(['Device', ctx.settings.device])
      pairs.push([
        'Token',
        ctx.settings.tokenSource === 'env' ? 'from CRUMB_TOKEN' : `from ${ctx.shownConfigPath}`,
      ])
      const scope = scopeLine(me.scope)
      if (scope !== undefined) pairs.push(['Scope', scope])
      printLine(renderPairs(pairs))
    })
}
