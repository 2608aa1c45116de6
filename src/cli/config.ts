import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { homedir, hostname } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import * as z from 'zod'
import { CliError, UsageError } from './errors.js'

/** Where the CLI talks to when nothing says otherwise. */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080'

const serverUrlSchema = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }))
  .transform((url) => url.replace(/\/+$/, ''))

/**
 * The config file's shape: `{server, token, device, email?}`, every member optional. Unknown
 * members are kept, so an older CLI does not drop what a newer one wrote.
 */
export const configSchema = z.looseObject({
  server: z.string().optional(),
  token: z.string().optional(),
  device: z.string().optional(),
  email: z.string().optional(),
})

/** The config file's content. */
export type CrumbConfig = z.infer<typeof configSchema>

/**
 * The config directory: `$XDG_CONFIG_HOME/crumb`, or `~/.config/crumb` when that is unset or
 * not absolute (as the XDG spec says).
 *
 * @example
 * configDir({ XDG_CONFIG_HOME: '/tmp/x' }) // '/tmp/x/crumb'
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(env.HOME ?? homedir(), '.config')
  return join(base, 'crumb')
}

/**
 * The config file path, `<configDir>/config.json`.
 *
 * @example
 * configPath({ XDG_CONFIG_HOME: '/tmp/x' }) // '/tmp/x/crumb/config.json'
 */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json')
}

/**
 * Reads the config; a missing file is an empty config, an unreadable one a `config_invalid` error.
 *
 * @example
 * const config = await readConfig(configPath())
 */
export async function readConfig(path: string): Promise<CrumbConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new CliError('config_invalid', `cannot read ${path}: ${(error as Error).message}`, { cause: error })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new CliError('config_invalid', `${path} is not valid JSON`, {
      hint: 'fix or delete it, then run `crumb login`',
      cause: error,
    })
  }
  const parsed = configSchema.safeParse(json)
  if (!parsed.success) {
    throw new CliError('config_invalid', `${path} has an unexpected shape`, {
      hint: 'fix or delete it, then run `crumb login`',
      errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    })
  }
  return parsed.data
}

/**
 * Writes the config atomically: a temp file with mode 0600 in the same directory (created with
 * mode 0700), then a rename over the old file. Readers see the old or the new file, never half.
 *
 * @example
 * await writeConfig(configPath(), { server: 'http://127.0.0.1:8080', token, device: 'laptop' })
 */
export async function writeConfig(path: string, config: CrumbConfig): Promise<void> {
  const dir = dirname(path)
  const created = await mkdir(dir, { recursive: true, mode: 0o700 })
  if (created !== undefined) await chmod(dir, 0o700)
  const temp = join(dir, `.config.json.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  const body = `${JSON.stringify(configSchema.parse(config), null, 2)}\n`
  try {
    await writeFile(temp, body, { mode: 0o600, flag: 'wx' })
    await chmod(temp, 0o600)
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw new CliError('config_invalid', `cannot write ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

/**
 * Reads, changes and writes the config back (atomically). `change` returns the new config.
 *
 * @example
 * await updateConfig(configPath(), ({ token: _, ...rest }) => rest) // forget the token
 */
export async function updateConfig(
  path: string,
  change: (config: CrumbConfig) => CrumbConfig,
): Promise<CrumbConfig> {
  const next = change(await readConfig(path))
  await writeConfig(path, next)
  return next
}

/** Where a setting came from, for messages. */
export type SettingSource = 'flag' | 'env' | 'config' | 'default'

/** What a command runs with once flags, environment and config are combined. */
export interface Settings {
  readonly server: string
  readonly serverSource: SettingSource
  /** The token to present, if any (`CRUMB_TOKEN` wins over the config). */
  readonly token: string | undefined
  readonly tokenSource: 'env' | 'config' | undefined
  /** Sent as `Crumb-Device` (a `device = x` caveat needs it). */
  readonly device: string
  readonly email: string | undefined
}

/**
 * Parses a server URL from a flag, the environment or the config.
 *
 * @example
 * parseServerUrl('http://127.0.0.1:8080/', '--server') // 'http://127.0.0.1:8080'
 */
export function parseServerUrl(value: string, from: string): string {
  const parsed = serverUrlSchema.safeParse(value)
  if (parsed.success) return parsed.data
  const message = `${from} ${JSON.stringify(value)} is not a valid server URL: ${parsed.error.issues[0]?.message ?? 'invalid'}`
  if (from === '--server') throw new UsageError(`option '--server <url>' is invalid: ${message}`)
  throw new CliError('config_invalid', message, { hint: 'expected e.g. http://127.0.0.1:8080' })
}

/**
 * Combines settings: `--server` over `CRUMB_SERVER` over the config over the default;
 * `CRUMB_TOKEN` over the config's token; `CRUMB_DEVICE` over the config's device over the hostname.
 *
 * @example
 * resolveSettings({ config: await readConfig(configPath()), env: process.env, serverFlag: undefined })
 */
export function resolveSettings(input: {
  config: CrumbConfig
  env: NodeJS.ProcessEnv
  serverFlag: string | undefined
}): Settings {
  const { config, env, serverFlag } = input
  let server = DEFAULT_SERVER
  let serverSource: SettingSource = 'default'
  if (serverFlag !== undefined) {
    server = parseServerUrl(serverFlag, '--server')
    serverSource = 'flag'
  } else if (env.CRUMB_SERVER !== undefined && env.CRUMB_SERVER !== '') {
    server = parseServerUrl(env.CRUMB_SERVER, 'CRUMB_SERVER')
    serverSource = 'env'
  } else if (config.server !== undefined) {
    server = parseServerUrl(config.server, 'the config server')
    serverSource = 'config'
  }
  const envToken = env.CRUMB_TOKEN?.trim()
  const token = envToken !== undefined && envToken !== '' ? envToken : config.token
  const tokenSource = envToken !== undefined && envToken !== '' ? 'env' : config.token ? 'config' : undefined
  const device = env.CRUMB_DEVICE?.trim() || config.device || hostname()
  return { server, serverSource, token: token || undefined, tokenSource, device, email: config.email }
}
