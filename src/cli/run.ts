import { CommanderError } from 'commander'
import { CliError, type ExitCode, formatErrorLine } from './errors.js'
import { buildProgram } from './program.js'

/**
 * Runs one `crumb` command and decides the exit code: 0 ok, 1 failure, 2 usage error. Every
 * failure is one line on stderr: `code: detail — hint`. The executable is `main.ts`.
 */

/**
 * Turns anything thrown into the stderr line to print (if any) and the exit code.
 *
 * @example
 * const { line, exitCode } = toExit(new CliError('not_found', 'no key named "ci"'))
 */
export function toExit(error: unknown): { line: string | undefined; exitCode: 0 | ExitCode } {
  if (error instanceof CommanderError) {
    // Commander already printed help, the version, or its usage message (see program.ts).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
      return { line: undefined, exitCode: 0 }
    }
    return { line: undefined, exitCode: 2 }
  }
  if (error instanceof CliError) return { line: formatErrorLine(error), exitCode: error.exitCode }
  const e = error as { name?: unknown; code?: unknown; message?: unknown }
  if (e?.name === 'CrumbError' && typeof e.code === 'string') {
    return { line: formatErrorLine(new CliError(e.code, String(e.message))), exitCode: 1 }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { line: formatErrorLine(new CliError('internal_error', message)), exitCode: 1 }
}

/**
 * Runs the CLI with `argv` (as `process.argv`) and resolves with the exit code.
 *
 * @example
 * process.exitCode = await run(process.argv)
 */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv])
    return 0
  } catch (error) {
    const { line, exitCode } = toExit(error)
    if (line !== undefined) process.stderr.write(`${line}\n`)
    if (process.env.CRUMB_DEBUG && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`)
    return exitCode
  }
}
