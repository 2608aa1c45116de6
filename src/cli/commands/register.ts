import type { Command } from 'commander'
import { Option } from 'commander'
import { emailSchema } from '../../api-fields.js'
import { loadContext } from '../context.js'
import { CliError, UsageError } from '../errors.js'
import { flagParser, parseWith } from '../flag-parser.js'
import { prompt, readStdin, stdinIsTty, stripNewline } from '../input.js'
import { parseDeviceName, printSession, saveSession } from '../session.js'

/**
 * `crumb register --email E [--password-stdin]`: creates an account and stores its first key in
 * the config, so the next commands are signed in.
 */

interface RegisterFlags {
  email?: string
  passwordStdin?: boolean
  device?: string
  showToken?: boolean
}

async function readPassword(flags: RegisterFlags): Promise<string> {
  if (flags.passwordStdin === true) return stripNewline(await readStdin())
  if (!stdinIsTty()) {
    throw new UsageError('no terminal to ask for a password', 'pass it on stdin with --password-stdin')
  }
  const password = await prompt('Choose a password: ', { hidden: true })
  const again = await prompt('Repeat it: ', { hidden: true })
  if (password !== again) throw new UsageError('the passwords differ')
  return password
}

/**
 * Registers `crumb register`.
 *
 * @example
 * registerRegister(program)
 */
export function registerRegister(program: Command): void {
  program
    .command('register')
    .description('create an account on the token service and sign this CLI in')
    .addOption(
      new Option('--email <email>', 'email address of the new account').argParser(flagParser(emailSchema)),
    )
    .option('--password-stdin', 'read the password from stdin (non-interactive)')
    .addOption(
      new Option('--device <name>', 'name this device in the config (default: this host name)').argParser(
        parseDeviceName,
      ),
    )
    .option('--show-token', 'also print the token (it is saved in the config either way)')
    .addHelpText(
      'after',
      '\nExample:\n  printf %s "$PASSWORD" | crumb register --email ada@example.com --password-stdin',
    )
    .action(async (flags: RegisterFlags, command: Command) => {
      const ctx = await loadContext(command)
      let email = flags.email
      if (email === undefined) {
        if (!stdinIsTty() || flags.passwordStdin === true) {
          throw new UsageError("option '--email <email>' is required")
        }
        const typed = parseWith(emailSchema, await prompt('Email: '))
        if (!typed.ok) throw new UsageError(`that is not a valid email address (${typed.message})`)
        email = typed.value
      }
      const password = await readPassword(flags)
      if (password === '') throw new UsageError('the password is empty')
      const api = await ctx.api({ token: null })
      const device = flags.device ?? ctx.settings.device
      // the key is named `CLI login on <device>`, so the next `crumb login` here replaces it (#18 item 4)
      const registered = await api.register(email, password, device).catch((error: unknown) => {
        if (error instanceof CliError && error.code === 'conflict') {
          throw new CliError('conflict', `${email} is already registered`, {
            hint: `sign in with \`crumb login --email ${email}\``,
            cause: error,
          })
        }
        throw error
      })
      await saveSession(ctx, { token: registered.token, device, email: registered.user.email ?? email })
      printSession(ctx, {
        verb: 'Registered and signed in',
        issued: registered,
        user: registered.user,
        device,
        showToken: flags.showToken === true,
      })
    })
}
