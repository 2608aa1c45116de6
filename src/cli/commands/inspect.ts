import type { Command } from 'commander'
import { inspectToken, type TokenInspection } from '../../token/inspect.js'
import { loadContext } from '../context.js'
import { CliError } from '../errors.js'
import { readTokenInput } from '../input.js'
import { describeTime, printJson, printLine, renderPairs } from '../output.js'
import { normalizeTokenText } from '../token-text.js'

/**
 * `crumb inspect [TOKEN | -]`: explains a token offline, with no secret — location, identifier
 * fields, each caveat, the effective (intersected) scope, expiry and the signature hint. Accepts
 * crumb tokens and any macaroon encoding the core decodes (V1/V2 binary or JSON, any base64).
 */

/** The `--json` document of `crumb inspect` (snake_case, like the HTTP API). */
export interface InspectJson {
  location: string
  hint: string
  signature_verified: false
  identifier: { format: 'crumb'; version: number; kid: string; token_id: string; user_id: string } | null
  identifier_text: string
  caveats: {
    index: number
    text: string
    kind: string | null
    valid: boolean
    third_party: boolean
    location?: string
  }[]
  scope: {
    orgs: string[] | null
    apps: string[] | null
    ops: string[] | null
    devices: string[] | null
    ips: string[] | null
    /** The resources (`aud`) the token may be presented to. */
    audiences: string[] | null
    not_before: string | null
    expires_at: string | null
    other: string[]
  }
  admits_nothing: boolean
  expired: boolean
  revocation_id: string
  discharges: number
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString().replace('.000Z', 'Z'))

/**
 * True when no request can satisfy the token: a caveat that fails closed, an empty intersection
 * (`org = acme` then `org = beta`), or a validity window that closes before it opens.
 *
 * @example
 * admitsNothing(inspectToken(token)) // true for org = acme, then org = beta
 */
export function admitsNothing(info: TokenInspection): boolean {
  return whyAdmitsNothing(info).length > 0
}

/**
 * Why a token admits nothing, in words (empty when it admits something): the dimensions left
 * empty, a caveat that fails closed, or an expiry before its not-before.
 *
 * @example
 * whyAdmitsNothing(inspectToken(token)) // ['orgs: none'] for org = acme, then org = beta
 */
export function whyAdmitsNothing(info: TokenInspection): string[] {
  const { scope } = info
  const lists = {
    orgs: scope.orgs,
    apps: scope.apps,
    ops: scope.ops,
    devices: scope.devices,
    ips: scope.ips,
    audiences: scope.audiences,
  }
  const out = Object.entries(lists)
    .filter(([, l]) => l !== null && l.length === 0)
    .map(([name]) => `${name}: none`)
  if (info.caveats.some((c) => !c.valid)) out.push('a caveat fails closed')
  if (scope.notBefore !== null && scope.expiresAt !== null && scope.notBefore >= scope.expiresAt)
    out.push('expires before not-before')
  return out
}

/**
 * The JSON form of an inspection.
 *
 * @example
 * inspectionToJson(inspectToken(token)).scope.ops // ['read']
 */
export function inspectionToJson(info: TokenInspection): InspectJson {
  const { scope } = info
  return {
    location: info.location,
    hint: info.hint,
    signature_verified: false,
    identifier:
      info.identifier === undefined
        ? null
        : {
            format: 'crumb',
            version: info.identifier.version,
            kid: info.identifier.kid,
            token_id: info.identifier.tokenId,
            user_id: info.identifier.userId,
          },
    identifier_text: info.identifierText,
    caveats: info.caveats.map((c) => ({
      index: c.index,
      text: c.text,
      kind: c.kind ?? null,
      valid: c.valid,
      third_party: c.thirdParty,
      ...(c.location === undefined ? {} : { location: c.location }),
    })),
    scope: {
      orgs: scope.orgs,
      apps: scope.apps,
      ops: scope.ops,
      devices: scope.devices,
      ips: scope.ips,
      audiences: scope.audiences,
      not_before: iso(scope.notBefore),
      expires_at: iso(scope.expiresAt),
      other: scope.other,
    },
    admits_nothing: admitsNothing(info),
    expired: info.expired,
    revocation_id: info.revocationId,
    discharges: info.discharges,
  }
}

function listText(values: string[] | null): string {
  if (values === null) return 'any'
  if (values.length === 0) return 'none (admits nothing)'
  return values.join(', ')
}

function render(json: InspectJson, now: Date): string {
  const lines: string[] = []
  const head: [string, string][] = [
    ['Hint', `${json.hint}  (signature not verified: inspect needs no secret)`],
    ['Location', json.location || '-'],
  ]
  if (json.identifier === null) {
    head.push(['Identifier', `${json.identifier_text}  (not a crumb identifier)`])
  } else {
    head.push(
      ['Identifier', json.identifier_text],
      ['Key id (kid)', json.identifier.kid],
      ['Token id', json.identifier.token_id],
      ['User id', json.identifier.user_id],
    )
  }
  head.push(['Revocation id', json.revocation_id])
  if (json.discharges > 0) head.push(['Discharges', String(json.discharges)])
  lines.push(renderPairs(head), '', `Caveats (${json.caveats.length})`)
  if (json.caveats.length === 0) lines.push('  none: this token admits everything its key does')
  for (const c of json.caveats) {
    const note = c.third_party
      ? `  third-party${c.location === undefined ? '' : ` at ${c.location}`}`
      : c.valid
        ? ''
        : '  (unknown or malformed: fails closed)'
    lines.push(`  ${String(c.index).padStart(2)}  ${c.text}${note}`)
  }
  const s = json.scope
  const status = json.admits_nothing
    ? 'admits nothing'
    : json.expired
      ? s.not_before !== null && Date.parse(s.not_before) > now.getTime()
        ? 'not yet valid'
        : 'EXPIRED'
      : 'not expired'
  const scope: [string, string][] = [
    ['orgs', listText(s.orgs)],
    ['apps', listText(s.apps)],
    ['ops', listText(s.ops)],
    ['devices', listText(s.devices)],
    ['ips', listText(s.ips)],
    ['audiences', listText(s.audiences)],
    ['not before', s.not_before === null ? '-' : describeTime(s.not_before, now)],
    ['expires', s.expires_at === null ? 'never' : describeTime(s.expires_at, now)],
  ]
  if (s.other.length > 0) scope.push(['other', s.other.join('; ')])
  scope.push(['status', status])
  lines.push('', 'Effective scope', renderPairs(scope, '  '))
  return lines.join('\n')
}

/**
 * Registers `crumb inspect`.
 *
 * @example
 * registerInspect(program)
 */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('explain a token offline: identifier, caveats, effective scope, expiry (no secret needed)')
    .argument(
      '[token]',
      'token to inspect, or - to read it from stdin (default: a piped stdin, else the logged-in token)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  crumb inspect\n  crumb inspect crumb_AgEL…\n  crumb inspect < job.token\n  crumb attenuate --read-only | crumb inspect --json',
    )
    .action(async (arg: string | undefined, _options: unknown, command: Command) => {
      const ctx = await loadContext(command)
      const token = await readTokenInput(arg, ctx.settings.token)
      let info: TokenInspection
      try {
        info = inspectToken(normalizeTokenText(token))
      } catch (error) {
        throw new CliError('invalid_token', `cannot decode the token: ${(error as Error).message}`, {
          hint: 'pass a crumb_… token or a macaroon in base64 or JSON',
          cause: error,
        })
      }
      const json = inspectionToJson(info)
      if (ctx.json) printJson(json)
      else printLine(render(json, new Date()))
    })
}
