import { fstatSync } from 'node:fs'
import { CliError, UsageError } from './errors.js'

/**
 * What the CLI reads from the person or the pipe: stdin, prompts, and the token a command works on.
 */

/**
 * True when stdin is a terminal (someone can answer a prompt).
 *
 * @example
 * if (!stdinIsTty()) throw new UsageError('pass --yes when not at a terminal')
 */
export function stdinIsTty(): boolean {
  return process.stdin.isTTY === true
}

/**
 * Reads stdin to its end as UTF-8.
 *
 * @example
 * const password = stripNewline(await readStdin())
 */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Removes one trailing newline (`\n` or `\r\n`), as `docker login --password-stdin` does.
 *
 * @example
 * stripNewline('hunter2\n') // 'hunter2'
 */
export function stripNewline(text: string): string {
  return text.replace(/\r?\n$/, '')
}

/**
 * True when stdin is a pipe, a file or a socket something may be written to (`cmd | crumb …`,
 * `crumb … < file`); false for a terminal or a character device such as /dev/null.
 *
 * @example
 * if (stdinIsPiped()) token = (await readStdin()).trim()
 */
export function stdinIsPiped(): boolean {
  if (stdinIsTty()) return false
  try {
    const stat = fstatSync(0)
    return stat.isFIFO() || stat.isFile() || stat.isSocket()
  } catch {
    return false
  }
}

/**
 * The token a command works on: the argument, stdin for `-`, a piped stdin when no argument is
 * given (#18 item 2: never silently the logged-in token when a token was piped), else the logged-in
 * token — saying so on stderr when stdin was piped but empty. Tokens never contain whitespace, so
 * surrounding whitespace (a pasted newline) is dropped.
 *
 * @example
 * const token = await readTokenInput(arg, settings.token)
 */
export async function readTokenInput(arg: string | undefined, fallback: string | undefined): Promise<string> {
  let token: string | undefined
  if (arg === undefined && stdinIsPiped()) {
    token = (await readStdin()).trim()
    if (token === '') {
      token = fallback
      if (token !== undefined) process.stderr.write('(stdin was empty: using the logged-in token)\n')
    }
  } else if (arg === '-') {
    if (stdinIsTty()) process.stderr.write('Paste the token, then press Ctrl-D:\n')
    token = (await readStdin()).trim()
    if (token === '')
      throw new UsageError('no token on stdin', 'pipe a token into `-`, or pass it as an argument')
  } else if (arg !== undefined) {
    token = arg.trim()
    if (token === '') throw new UsageError('the token argument is empty')
  } else {
    token = fallback
  }
  if (token === undefined) {
    throw new CliError('not_logged_in', 'no token given and none is logged in', {
      hint: 'pass a token, pipe one in, or run `crumb login`',
    })
  }
  return token
}

/**
 * Asks a question on the terminal (stderr) and reads one line; `hidden` echoes nothing (passwords).
 *
 * @example
 * const password = await prompt('Password: ', { hidden: true })
 */
export async function prompt(question: string, options: { hidden?: boolean } = {}): Promise<string> {
  const { createInterface } = await import('node:readline')
  const { Writable } = await import('node:stream')
  let muted = false
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, callback): void {
      if (!muted) process.stderr.write(chunk)
      callback()
    },
  })
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  return new Promise<string>((resolve, reject) => {
    rl.on('SIGINT', () => {
      rl.close()
      process.stderr.write('\n')
      reject(new CliError('confirmation_declined', 'cancelled'))
    })
    rl.question(question, (answer) => {
      rl.close()
      if (options.hidden === true) process.stderr.write('\n')
      resolve(answer)
    })
    muted = options.hidden === true
  })
}

/**
 * Asks a yes/no question; only `y` or `yes` is yes.
 *
 * @example
 * if (!(await confirm('Delete key "ci" for good? [y/N] '))) return
 */
export async function confirm(question: string): Promise<boolean> {
  const answer = (await prompt(question)).trim().toLowerCase()
  return answer === 'y' || answer === 'yes'
}
