/**
 * CLI failures. Every failure ends as one line on stderr, `code: detail — hint`, and an exit code:
 * 1 for a failure, 2 for a usage error. Codes are the server's closed set (DESIGN.md) plus a few the
 * CLI adds for what only it can see (no server reachable, no login, a bad flag).
 */

/** Exit code of a failed command (1) or a usage error (2). */
export type ExitCode = 1 | 2

/** Codes only the CLI produces; server problems keep the server's code. */
export type CliOnlyCode =
  | 'usage_error'
  | 'not_logged_in'
  | 'server_unreachable'
  | 'bad_response'
  | 'config_invalid'
  | 'ambiguous_name'
  | 'confirmation_declined'

/** One field problem from a `validation_failed` problem (`errors` member). */
export interface FieldProblem {
  readonly path?: string | undefined
  readonly message: string
}

/** Options of a {@link CliError}. */
export interface CliErrorOptions {
  /** What to do about it, shown after an em dash. */
  hint?: string | undefined
  exitCode?: ExitCode | undefined
  /** HTTP status when the server answered with a problem. */
  status?: number | undefined
  errors?: readonly FieldProblem[] | undefined
  cause?: unknown
}

/**
 * An expected failure with a code, a one-line detail and a hint. The detail never contains a
 * token, a key or a password.
 *
 * @example
 * throw new CliError('not_logged_in', 'no token in the config', { hint: 'run `crumb login`' })
 */
export class CliError extends Error {
  override readonly name: string = 'CliError'
  readonly code: string
  readonly hint: string | undefined
  readonly exitCode: ExitCode
  readonly status: number | undefined
  readonly errors: readonly FieldProblem[]

  constructor(code: string, detail: string, options: CliErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.hint = options.hint
    this.exitCode = options.exitCode ?? 1
    this.status = options.status
    this.errors = options.errors ?? []
  }
}

/**
 * A usage error (exit 2): a bad flag value, a missing argument, a refused non-interactive prompt.
 *
 * @example
 * throw new UsageError("option '--expires' is invalid: expected 30d, 12h, 15m or an RFC 3339 instant")
 */
export class UsageError extends CliError {
  override readonly name: string = 'UsageError'

  constructor(detail: string, hint?: string) {
    super('usage_error', detail, { hint, exitCode: 2 })
  }
}

/** What to do next, per problem code, when the error itself carries no hint. */
const HINTS: Readonly<Record<string, string>> = {
  invalid_token: 'run `crumb login` (or check CRUMB_TOKEN)',
  token_expired: 'run `crumb login` to get a fresh key',
  token_revoked: 'run `crumb login`',
  insufficient_scope: "this token's ops, org or app do not admit that; use a key with more scope",
  caveat_failed: 'a caveat of this token does not hold for the request; see `crumb inspect`',
  confirmation_required: 'pass --yes to confirm',
  last_key_protected: '`crumb tokens create` makes another',
  rate_limited: 'wait a little and try again',
  not_found: 'list keys with `crumb tokens ls --include-revoked`',
  not_logged_in: 'run `crumb login` or set CRUMB_TOKEN',
  server_unreachable: 'start it with `crumb serve`, or point at another with --server or CRUMB_SERVER',
  access_denied: 'the login request was denied; run `crumb login` to try again',
  expired_token: 'the login code expired before it was approved; run `crumb login` again',
  unauthorized: 'check the email and password',
}

/**
 * The one stderr line for an error: `code: detail — hint`. Field problems of a
 * `validation_failed` answer are appended to the detail.
 *
 * @example
 * formatErrorLine(new CliError('token_revoked', 'this key was revoked')) // 'token_revoked: this key was revoked — run `crumb login`'
 */
export function formatErrorLine(error: CliError): string {
  let detail = error.message.replace(/\s*\n\s*/g, ' ').trim()
  // each message once (#18 item 7): a field problem the detail already says is not repeated
  const said = (text: string): boolean => detail.toLowerCase().includes(text.toLowerCase())
  const fields = error.errors
    .map((e) => (e.path ? `${e.path}: ${e.message}` : e.message))
    .filter((text) => !said(text))
  if (fields.length > 0) detail = detail ? `${detail} (${fields.join('; ')})` : fields.join('; ')
  // … and the hint once: clauses of it the detail already says are dropped
  const hint = (error.hint ?? HINTS[error.code])
    ?.split(/;\s*/)
    .filter((clause) => !said(clause))
    .join('; ')
  return `${error.code}: ${detail || 'failed'}${hint ? ` — ${hint}` : ''}`
}
