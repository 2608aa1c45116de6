import { homedir } from 'node:os'
import type { Command } from 'commander'
import type { CrumbApi } from './api.js'
import { type CrumbConfig, configPath, readConfig, resolveSettings, type Settings } from './config.js'
import { CliError } from './errors.js'
import { tildify } from './output.js'

/** Options every command has (defined once on the program). */
export interface GlobalFlags {
  json?: boolean | undefined
  server?: string | undefined
}

/** What an action runs with: global flags, config, combined settings, and a lazy API client. */
export interface Context {
  readonly json: boolean
  readonly env: NodeJS.ProcessEnv
  readonly configPath: string
  /** The config path for messages (`~/.config/crumb/config.json`). */
  readonly shownConfigPath: string
  readonly config: CrumbConfig
  readonly settings: Settings
  /**
   * A client for the token service. Loads the HTTP modules on first use, so offline commands
   * never do. `token: null` sends none; `requireToken` fails early with `not_logged_in`.
   */
  api(options?: { token?: string | null; requireToken?: boolean; device?: string }): Promise<CrumbApi>
}

/**
 * Builds the context for the command whose action is running.
 *
 * @example
 * .action(async (_opts, cmd: Command) => { const ctx = await loadContext(cmd); … })
 */
export async function loadContext(command: Command, env: NodeJS.ProcessEnv = process.env): Promise<Context> {
  const flags = command.optsWithGlobals<GlobalFlags>()
  const path = configPath(env)
  const config = await readConfig(path)
  const settings = resolveSettings({ config, env, serverFlag: flags.server })
  return {
    json: flags.json === true,
    env,
    configPath: path,
    shownConfigPath: tildify(path, env.HOME ?? homedir()),
    config,
    settings,
    async api(options = {}): Promise<CrumbApi> {
      const token = options.token === null ? undefined : (options.token ?? settings.token)
      if (options.requireToken === true && token === undefined) {
        throw new CliError('not_logged_in', `not logged in to ${settings.server}`)
      }
      const [{ HttpClient }, { CrumbApi }, { userAgent }] = await Promise.all([
        import('./http-client.js'),
        import('./api.js'),
        import('./version.js'),
      ])
      const http = new HttpClient({
        server: settings.server,
        token,
        device: options.device ?? settings.device,
        tokenSource: options.token === undefined ? settings.tokenSource : undefined,
        userAgent: userAgent(),
      })
      return new CrumbApi(http)
    },
  }
}
