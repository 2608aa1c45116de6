import { Command } from 'commander'
import { registerAttenuate } from './commands/attenuate.js'
import { registerAudit } from './commands/audit.js'
import { registerExchange } from './commands/exchange.js'
import { registerInspect } from './commands/inspect.js'
import { registerKeyring } from './commands/keyring.js'
import { registerLogin } from './commands/login.js'
import { registerLogout } from './commands/logout.js'
import { registerRegister } from './commands/register.js'
import { registerRevoke } from './commands/revoke.js'
import { registerServe } from './commands/serve.js'
import { registerSessions } from './commands/sessions.js'
import { registerTokensCreate } from './commands/tokens-create.js'
import { registerTokensLs } from './commands/tokens-ls.js'
import { registerTokensRename } from './commands/tokens-rename.js'
import { registerTokensRm } from './commands/tokens-rm.js'
import { registerTokensRotate } from './commands/tokens-rotate.js'
import { registerTrust } from './commands/trust.js'
import { registerWhoami } from './commands/whoami.js'
import { CliError, formatErrorLine } from './errors.js'
import { cliVersion } from './version.js'

/** `crumb tokens ls` for the `ls` command: the names from the root down. */
function commandPath(command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/**
 * Commander's own messages (`error: unknown option '--x'`) as the CLI's one-line usage error.
 *
 * @example
 * usageLine("error: unknown option '--x'\n", command) // "usage_error: unknown option '--x' — see `crumb tokens ls --help`"
 */
export function usageLine(message: string, command: Command): string {
  const detail = message.replace(/^error:\s*/, '').trim()
  return formatErrorLine(
    new CliError('usage_error', detail, { hint: `see \`${commandPath(command)} --help\`` }),
  )
}

function configureTree(command: Command): void {
  command.exitOverride()
  command.configureOutput({ outputError: (message, write) => write(`${usageLine(message, command)}\n`) })
  for (const sub of command.commands) configureTree(sub)
}

/**
 * The `crumb` command tree. Offline commands (`attenuate`, `inspect`) load only the token core;
 * online ones load the HTTP client when they run; `serve` loads the server when it runs.
 *
 * @example
 * await buildProgram().parseAsync(['node', 'crumb', 'inspect', token])
 */
export function buildProgram(): Command {
  const program = new Command('crumb')
    .description(
      'crumb: capability tokens built on macaroons. Log in per device, manage keys, attenuate and inspect tokens offline.',
    )
    .version(cliVersion(), '-V, --version', 'print the version')
    .option(
      '--server <url>',
      'token service URL (default: CRUMB_SERVER, the config, or http://127.0.0.1:8080)',
    )
    .option('--json', 'print JSON for scripts')
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Config: $XDG_CONFIG_HOME/crumb/config.json (default ~/.config/crumb/config.json), mode 0600.
Environment: CRUMB_TOKEN (token to use), CRUMB_SERVER (server URL), CRUMB_DEVICE (device name).
Exit codes: 0 ok, 1 failure, 2 usage error.`,
    )

  registerServe(program)
  registerKeyring(program)
  registerRegister(program)
  registerLogin(program)
  registerLogout(program)
  registerWhoami(program)
  const tokens = program.command('tokens').description('list, create, rename, expire and rotate your keys')
  registerTokensLs(tokens)
  registerTokensCreate(tokens)
  registerTokensRename(tokens)
  registerTokensRm(tokens)
  registerTokensRotate(tokens)
  registerAttenuate(program)
  registerInspect(program)
  registerRevoke(program)
  registerAudit(program)
  registerTrust(program)
  registerExchange(program)
  registerSessions(program)
  configureTree(program)
  return program
}
