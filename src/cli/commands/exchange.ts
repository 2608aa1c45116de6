import { readFile } from 'node:fs/promises'
import { type Command, Option } from 'commander'
import * as z from 'zod'
import { loadContext } from '../context.js'
import { CliError, UsageError } from '../errors.js'
import { readStdin } from '../input.js'
import { note, printJson, printLine, relativeTime } from '../output.js'

/**
 * `crumb exchange [--policy ID] [--audience A] [--id-token-file F | -]` (DESIGN.md, "Workload
 * identity"): trades a CI job's OIDC ID token for a short-lived crumb token (`POST /v1/auth/oidc`,
 * public) and prints the token alone on stdout, so `TOKEN=$(crumb exchange)` captures it. The ID
 * token comes from a file, stdin (`-`), or — on GitHub Actions, where `ACTIONS_ID_TOKEN_REQUEST_URL`
 * and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` are set — from the runner itself.
 */

/** Longest ID token read from a file, stdin or the runner. */
const MAX_ID_TOKEN_BYTES = 16_384

/** A JWT: three base64url parts. */
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

const exchangedSchema = z.looseObject({
  token: z.string().startsWith('crumb_'),
  expires_at: z.string(),
  policy_id: z.string(),
})

/** The runner's answer: `{"value": "<ID token>"}`. */
const actionsAnswerSchema = z.looseObject({ value: z.string() })

interface ExchangeFlags {
  policy?: string | undefined
  audience?: string | undefined
  idTokenFile?: string | undefined
}

function checkIdToken(text: string, from: string): string {
  const token = text.trim()
  if (token === '') throw new UsageError(`no ID token in ${from}`)
  if (token.length > MAX_ID_TOKEN_BYTES || !JWT.test(token)) {
    throw new UsageError(`${from} does not hold an OIDC ID token (a JWT)`)
  }
  return token
}

/**
 * Asks the GitHub Actions runner for the job's ID token: GET `ACTIONS_ID_TOKEN_REQUEST_URL` with
 * `&audience=` and `Authorization: bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN` (the job needs
 * `permissions: id-token: write`). Neither the request token nor the ID token is ever printed.
 *
 * @example
 * const idToken = await fetchActionsIdToken(process.env, 'https://crumb.example')
 */
export async function fetchActionsIdToken(
  env: NodeJS.ProcessEnv,
  audience: string | undefined,
): Promise<string> {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL ?? ''
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? ''
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    throw new CliError('bad_response', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL')
  }
  if (audience !== undefined) url.searchParams.set('audience', audience)
  let response: Response
  try {
    response = await fetch(url, {
      headers: { authorization: `bearer ${requestToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
      redirect: 'error',
    })
  } catch (cause) {
    throw new CliError('server_unreachable', `cannot reach the runner's ID token service at ${url.host}`, {
      cause,
      hint: 'is this a GitHub Actions job?',
    })
  }
  const text = await response.text()
  if (!response.ok) {
    throw new CliError('bad_response', `the runner's ID token service answered ${response.status}`, {
      hint: 'does the job have `permissions: id-token: write`?',
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text.slice(0, MAX_ID_TOKEN_BYTES * 2))
  } catch {
    json = undefined
  }
  const parsed = actionsAnswerSchema.safeParse(json)
  if (!parsed.success) throw new CliError('bad_response', "the runner's ID token service answered no token")
  return checkIdToken(parsed.data.value, "the runner's answer")
}

/** Where the ID token comes from: the file flag, `-`, or the GitHub Actions runner. */
async function readIdToken(
  flags: ExchangeFlags,
  arg: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const source = flags.idTokenFile ?? arg
  if (source === '-') return checkIdToken(await readStdin(), 'stdin')
  if (source !== undefined) {
    let text: string
    try {
      text = await readFile(source, 'utf8')
    } catch (cause) {
      throw new UsageError(`cannot read ${source} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`)
    }
    return checkIdToken(text, source)
  }
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    return fetchActionsIdToken(env, flags.audience)
  }
  throw new UsageError(
    'no ID token: pass --id-token-file FILE, or - to read it from stdin',
    'on GitHub Actions, give the job `permissions: id-token: write` and the token is fetched for you',
  )
}

/**
 * Registers `crumb exchange`.
 *
 * @example
 * registerExchange(program)
 */
export function registerExchange(program: Command): void {
  program
    .command('exchange')
    .description("exchange this CI job's OIDC ID token for a short-lived crumb token (printed on stdout)")
    .argument('[source]', '- to read the ID token from stdin')
    .option('--policy <id>', 'the trust policy to use (default: the first that matches)')
    .option('--audience <aud>', 'the audience to ask the GitHub Actions runner for (the policy’s audience)')
    .addOption(new Option('--id-token-file <file>', 'read the ID token from a file (- for stdin)'))
    .addHelpText(
      'after',
      `
On GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN set, i.e. the job
has \`permissions: id-token: write\`) the ID token is fetched from the runner.

Examples:
  CRUMB_TOKEN=$(crumb exchange --audience https://crumb.example)
  crumb exchange --id-token-file "$CI_JOB_JWT_FILE"
  echo "$GITLAB_OIDC_TOKEN" | crumb exchange -`,
    )
    .action(async (arg: string | undefined, flags: ExchangeFlags, command: Command) => {
      if (arg !== undefined && arg !== '-') throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`)
      if (arg !== undefined && flags.idTokenFile !== undefined) {
        throw new UsageError('give the ID token once: - or --id-token-file')
      }
      const ctx = await loadContext(command)
      const idToken = await readIdToken(flags, arg, ctx.env)
      const api = await ctx.api({ token: null })
      const { body } = await api.http.request('POST', '/v1/auth/oidc', {
        body: { id_token: idToken, ...(flags.policy === undefined ? {} : { policy_id: flags.policy }) },
        auth: false,
      })
      const parsed = exchangedSchema.safeParse(body)
      if (!parsed.success) throw new CliError('bad_response', 'unexpected answer from POST /v1/auth/oidc')
      const exchanged = parsed.data
      if (ctx.json) {
        printJson(exchanged)
        return
      }
      note(
        `✓ Exchanged under policy ${exchanged.policy_id}; the token expires ${relativeTime(exchanged.expires_at)}`,
      )
      printLine(exchanged.token)
    })
}
