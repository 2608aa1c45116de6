import * as z from 'zod'
import type { VerifierOptions } from '../../src/verifier/index.js'

/** The deploy API's configuration, from its environment. */
export interface DeployApiConfig {
  readonly port: number
  readonly host: string
  readonly verifier: VerifierOptions
  /**
   * This service's resource identifier (`CRUMB_AUDIENCE`): the verifier's `audience` and the
   * `resource` of its protected-resource metadata. Unset: its own URL once it listens.
   */
  readonly audience: string | undefined
}

const env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  CRUMB_SERVER: z.url({ protocol: /^https?$/ }),
  CRUMB_KEYRING: z.string().min(1).optional(),
  CRUMB_MODE: z.enum(['local', 'remote']).optional(),
  CRUMB_SERVICE_TOKEN: z.string().min(1),
  CRUMB_MAX_STALENESS: z.string().min(1).default('5m'),
  CRUMB_AUDIENCE: z.url({ protocol: /^https?$/ }).optional(),
})

/**
 * Reads `PORT`, `HOST`, `CRUMB_SERVER`, `CRUMB_KEYRING` (local mode) or `CRUMB_MODE=remote`,
 * `CRUMB_SERVICE_TOKEN`, `CRUMB_MAX_STALENESS` and `CRUMB_AUDIENCE`. Throws an Error naming what is wrong (never a value).
 *
 * @example
 * const config = configFromEnv(process.env)
 */
export function configFromEnv(source: NodeJS.ProcessEnv): DeployApiConfig {
  const parsed = env.safeParse(source)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid environment (${issues.join('; ')})`)
  }
  const e = parsed.data
  const mode = e.CRUMB_MODE ?? (e.CRUMB_KEYRING === undefined ? undefined : 'local')
  if (mode === undefined) throw new Error('set CRUMB_KEYRING (local mode) or CRUMB_MODE=remote')
  if (mode === 'remote' && e.CRUMB_KEYRING !== undefined) {
    console.warn('deploy-api: CRUMB_MODE=remote: ignoring CRUMB_KEYRING (no key in the service)')
  }
  if (mode === 'local' && e.CRUMB_KEYRING === undefined) throw new Error('local mode needs CRUMB_KEYRING')
  return {
    port: e.PORT,
    host: e.HOST,
    verifier: {
      mode,
      ...(mode === 'local' && e.CRUMB_KEYRING !== undefined ? { keys: e.CRUMB_KEYRING } : {}),
      server: e.CRUMB_SERVER,
      serviceToken: e.CRUMB_SERVICE_TOKEN,
      maxStaleness: e.CRUMB_MAX_STALENESS,
    },
    audience: e.CRUMB_AUDIENCE,
  }
}
