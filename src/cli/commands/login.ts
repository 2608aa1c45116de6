import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from 'commander'
import { Option } from 'commander'
import { emailSchema } from '../../api-fields.js'
import type { CrumbApi, DeviceStart, Issued, User } from '../api.js'
import { type Context, loadContext } from '../context.js'
import { CliError, UsageError } from '../errors.js'
import { flagParser } from '../flag-parser.js'
import { prompt, readStdin, stdinIsTty, stripNewline } from '../input.js'
import { note } from '../output.js'
import { parseDeviceName, printSession, saveSession } from '../session.js'

/**
 * `crumb login [--device NAME] [--email E --password-stdin]`: one key per device, named
 * `CLI login on <device>` by the server (a new login on the same device replaces the old key).
 * Without a password it runs the device authorization grant (RFC 8628): it prints a code and a
 * URL, and polls until someone signed in approves or denies it, or the code expires.
 */

interface LoginFlags {
  device?: string
  email?: string
  passwordStdin?: boolean
  showToken?: boolean
}

/**
 * Polls `POST /v1/auth/device/token` at the server's interval (plus 5 s after each `slow_down`,
 * RFC 8628 section 3.5) until it yields a token or fails.
 *
 * @example
 * const issued = await pollForApproval(api, start)
 */
export async function pollForApproval(
  api: CrumbApi,
  start: DeviceStart,
  options: { now?: () => number } = {},
): Promise<Issued> {
  const now = options.now ?? Date.now
  const deadline = now() + start.expires_in * 1000
  let interval = Math.max(1, start.interval ?? 5)
  let transientFailures = 0
  for (;;) {
    await sleep(interval * 1000)
    try {
      return await api.pollDeviceLogin(start.device_code)
    } catch (error) {
      if (!(error instanceof CliError)) throw error
      if (error.code === 'authorization_pending') {
        transientFailures = 0
      } else if (error.code === 'slow_down') {
        interval += 5
      } else if (error.code === 'server_unreachable' && transientFailures < 3) {
        transientFailures += 1
      } else if (error.code === 'access_denied') {
        throw new CliError('access_denied', 'the login request was denied')
      } else if (error.code === 'expired_token') {
        throw new CliError('expired_token', 'the login code expired before it was approved')
      } else {
        throw error
      }
      if (now() >= deadline)
        throw new CliError('expired_token', 'the login code expired before it was approved')
    }
  }
}

async function deviceLogin(ctx: Context, device: string): Promise<Issued> {
  const api = await ctx.api({ token: null })
  const start = await api.startDeviceLogin(device)
  const minutes = Math.max(1, Math.round(start.expires_in / 60))
  note(`! First copy your one-time code: ${start.user_code}`)
  note(`  Then open ${start.verification_uri} in a browser where you are signed in, and approve`)
  note(`  "CLI login on ${device}".`)
  if (start.verification_uri_complete !== undefined)
    note(`  Or go straight to ${start.verification_uri_complete}`)
  note(`  Waiting for approval (the code expires in ${minutes}m)…`)
  return pollForApproval(api, start)
}

async function passwordLogin(
  ctx: Context,
  flags: LoginFlags,
  device: string,
): Promise<{ issued: Issued; email: string }> {
  const email = flags.email ?? ctx.config.email
  if (email === undefined) {
    throw new UsageError("option '--email <email>' is required with --password-stdin")
  }
  let password: string
  if (flags.passwordStdin === true) {
    password = stripNewline(await readStdin())
  } else if (stdinIsTty()) {
    password = await prompt(`Password for ${email}: `, { hidden: true })
  } else {
    throw new UsageError('no terminal to ask for the password', 'pass it on stdin with --password-stdin')
  }
  if (password === '') throw new UsageError('the password is empty')
  const api = await ctx.api({ token: null })
  return { issued: await api.login(email, password, device), email }
}

/**
 * Registers `crumb login`.
 *
 * @example
 * registerLogin(program)
 */
export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('log in on this device: approve a code in the browser, or use --email with --password-stdin')
    .addOption(
      new Option(
        '--device <name>',
        'device name; the key is "CLI login on <name>" (default: this host name)',
      ).argParser(parseDeviceName),
    )
    .addOption(
      new Option('--email <email>', 'log in with a password instead of the device flow').argParser(
        flagParser(emailSchema),
      ),
    )
    .option('--password-stdin', 'read the password from stdin (non-interactive)')
    .option('--show-token', 'also print the token (it is saved in the config either way)')
    .addHelpText(
      'after',
      '\nExamples:\n  crumb login\n  crumb login --device laptop-7\n  printf %s "$PASSWORD" | crumb login --email ada@example.com --password-stdin',
    )
    .action(async (flags: LoginFlags, command: Command) => {
      const ctx = await loadContext(command)
      const device = flags.device ?? ctx.settings.device
      let issued: Issued
      let email: string | undefined
      if (flags.passwordStdin === true || flags.email !== undefined) {
        ;({ issued, email } = await passwordLogin(ctx, flags, device))
      } else {
        issued = await deviceLogin(ctx, device)
      }
      let user: User | undefined
      try {
        const api = await ctx.api({ token: issued.token, device })
        user = (await api.whoami()).user
      } catch {
        user = email === undefined ? undefined : { id: '', email }
      }
      await saveSession(ctx, { token: issued.token, device, email: user?.email ?? email })
      printSession(ctx, { verb: 'Logged in', issued, user, device, showToken: flags.showToken === true })
    })
}
