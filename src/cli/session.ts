import { InvalidArgumentError } from 'commander'
import { device as deviceKind } from '../../caveats/device.js'
import type { Issued, Key, User } from './api.js'
import { updateConfig } from './config.js'
import type { Context } from './context.js'
import { note, printJson, printLine, relativeTime } from './output.js'

/**
 * What `register` and `login` share: the device-name flag, saving the new token in the config,
 * and the summary they print (which never includes the token unless `--show-token`).
 */

/**
 * Parses `--device NAME`: one device name as the `device` caveat accepts it.
 *
 * @example
 * new Option('--device <name>').argParser(parseDeviceName)
 */
export function parseDeviceName(value: string): string {
  const parsed = deviceKind.schema.safeParse(value)
  if (!parsed.success || parsed.data.length !== 1 || parsed.data[0] === undefined) {
    throw new InvalidArgumentError(
      'expected one device name such as laptop-7 (letters, digits, . _ - and spaces).',
    )
  }
  return parsed.data[0]
}

/**
 * Stores a freshly issued token in the config (atomically, mode 0600) with the server and device.
 *
 * @example
 * await saveSession(ctx, { token: issued.token, device: 'laptop', email })
 */
export async function saveSession(
  ctx: Context,
  session: { token: string; device: string; email?: string | undefined },
): Promise<void> {
  await updateConfig(ctx.configPath, (config) => ({
    ...config,
    server: ctx.settings.server,
    token: session.token,
    device: session.device,
    ...(session.email === undefined ? {} : { email: session.email }),
  }))
}

/**
 * Prints the outcome of `register` or `login`.
 *
 * @example
 * printSession(ctx, { verb: 'Logged in', issued, user, device, showToken: false })
 */
export function printSession(
  ctx: Context,
  input: { verb: string; issued: Issued; user: User | undefined; device: string; showToken: boolean },
): void {
  const { issued, user, device } = input
  if (ctx.json) {
    printJson({
      server: ctx.settings.server,
      device,
      ...(user === undefined ? {} : { user }),
      key: issued.key,
      config_path: ctx.configPath,
      ...(input.showToken ? { token: issued.token } : {}),
    })
  } else {
    const who = user?.email === undefined ? '' : ` as ${user.email}`
    printLine(`✓ ${input.verb} to ${ctx.settings.server}${who}`)
    printLine(`  key      ${describeKey(issued.key)}`)
    printLine(`  expires  ${relativeTime(issued.key.expires_at)}`)
    printLine(`  saved in ${ctx.shownConfigPath}`)
    if (input.showToken) printLine(issued.token)
  }
  if (ctx.env.CRUMB_TOKEN !== undefined && ctx.env.CRUMB_TOKEN !== '') {
    note('! CRUMB_TOKEN is set and takes precedence over the saved token; unset it to use this login.')
  }
}

/**
 * `"name" (tok_…, crumb_…b33f)`.
 *
 * @example
 * describeKey(key) // '"CLI login on laptop" (tok_…, crumb_…b33f)'
 */
export function describeKey(key: Key): string {
  return `${JSON.stringify(key.name)} (${key.id}${key.hint === undefined ? '' : `, ${key.hint}`})`
}
