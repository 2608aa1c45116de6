import { type Command, InvalidArgumentError, Option } from 'commander'
import { app } from '../../caveats/app.js'
import { aud } from '../../caveats/aud.js'
import { device } from '../../caveats/device.js'
import { ip } from '../../caveats/ip.js'
import { ops } from '../../caveats/ops.js'
import { org } from '../../caveats/org.js'
import type { CaveatKind } from '../../caveats/types.js'
import { resolveWhen, type When, whenSchema, whenToInstantText } from './durations.js'
import { UsageError } from './errors.js'
import { flagParser } from './flag-parser.js'

/**
 * The caveat flags shared by `attenuate` and `tokens create`: `--org --app --ops --read-only
 * --expires --not-before --device --ip --aud`. Values are checked with each caveat kind's zod schema as
 * they are parsed, so a typo is a usage error naming the flag, not a token that admits nothing.
 */

/** Parsed caveat flags (commander's option values). */
export interface CaveatFlags {
  org?: string[] | undefined
  app?: string[] | undefined
  ops?: string[] | undefined
  readOnly?: boolean | undefined
  expires?: When | undefined
  notBefore?: When | undefined
  device?: string[] | undefined
  ip?: string[] | undefined
  aud?: string[] | undefined
}

// The list kinds' values differ (names, IP ranges); only the schema and name are used here.
type ListKind = Pick<CaveatKind<unknown>, 'name' | 'schema' | 'parse' | 'format'>

function listParser(
  kind: ListKind,
  expected: string,
): (value: string, previous: string[] | undefined) => string[] {
  return (value, previous) => {
    const parsed = kind.schema.safeParse(value)
    if (!parsed.success) {
      throw new InvalidArgumentError(
        `expected ${expected} (${parsed.error.issues[0]?.message ?? 'invalid'}).`,
      )
    }
    return [...(previous ?? []), value]
  }
}

function listOption(flags: string, help: string, kind: ListKind, expected: string): Option {
  return new Option(flags, help).argParser(listParser(kind, expected))
}

/**
 * Adds the caveat flags to a command. `expiresHelp` describes `--expires` for that command.
 *
 * @example
 * addCaveatOptions(program.command('attenuate'), 'expiry: 30d, 2h or an RFC 3339 instant')
 */
export function addCaveatOptions(command: Command, expiresHelp: string): Command {
  return command
    .addOption(
      listOption(
        '--org <orgs>',
        'only these orgs (comma-separated; repeatable)',
        org,
        'org names such as acme or acme,beta',
      ),
    )
    .addOption(
      listOption(
        '--app <apps>',
        'only these apps (comma-separated; repeatable)',
        app,
        'app names such as web or web,api',
      ),
    )
    .addOption(
      listOption(
        '--ops <ops>',
        'only these operations, e.g. read,write or deploy',
        ops,
        'operation names such as read,write,deploy',
      ).conflicts('readOnly'),
    )
    .addOption(new Option('--read-only', 'same as --ops read'))
    .addOption(new Option('--expires <when>', expiresHelp).argParser(flagParser(whenSchema)))
    .addOption(
      new Option(
        '--not-before <when>',
        'not valid before: a duration from now or an RFC 3339 instant',
      ).argParser(flagParser(whenSchema)),
    )
    .addOption(
      listOption(
        '--device <names>',
        'only requests declaring this device (Crumb-Device)',
        device,
        'device names such as laptop-7',
      ),
    )
    .addOption(
      listOption(
        '--ip <ranges>',
        'only clients in these ranges, e.g. 10.0.0.0/8,203.0.113.7',
        ip,
        'IP addresses or CIDR ranges',
      ),
    )
    .addOption(
      listOption(
        '--aud <resources>',
        'only services configured with one of these audiences, e.g. https://deploy.example',
        aud,
        'absolute URIs such as https://deploy.example',
      ),
    )
}

function listCaveat(kind: ListKind, values: string[] | undefined): string | undefined {
  if (values === undefined || values.length === 0) return undefined
  return `${kind.name} = ${kind.format(kind.parse(values.join(',')))}`
}

/**
 * The caveat texts the flags ask for, in a fixed order (org, app, ops, device, ip, aud, not-before,
 * expires). `includeExpires: false` leaves `--expires` to the caller (`tokens create` sends it as
 * `expires_in`). Throws a usage error for an expiry in the past or before `--not-before`.
 *
 * @example
 * caveatsFromFlags({ org: ['acme'], readOnly: true }, { now: new Date() }) // ['org = acme', 'ops = read']
 */
export function caveatsFromFlags(
  flags: CaveatFlags,
  options: { now: Date; includeExpires?: boolean },
): string[] {
  const { now } = options
  const caveats = [
    listCaveat(org, flags.org),
    listCaveat(app, flags.app),
    flags.readOnly === true ? 'ops = read' : listCaveat(ops, flags.ops),
    listCaveat(device, flags.device),
    listCaveat(ip, flags.ip),
    listCaveat(aud, flags.aud),
  ].filter((c): c is string => c !== undefined)
  if (flags.expires !== undefined && resolveWhen(flags.expires, now) <= now.getTime()) {
    throw new UsageError("option '--expires <when>' is invalid: that instant is not in the future")
  }
  if (
    flags.expires !== undefined &&
    flags.notBefore !== undefined &&
    resolveWhen(flags.notBefore, now) >= resolveWhen(flags.expires, now)
  ) {
    throw new UsageError("option '--not-before <when>' is invalid: it is not before --expires")
  }
  if (flags.notBefore !== undefined) caveats.push(`not-before = ${whenToInstantText(flags.notBefore, now)}`)
  if (flags.expires !== undefined && options.includeExpires !== false) {
    caveats.push(`expires = ${whenToInstantText(flags.expires, now)}`)
  }
  return caveats
}
