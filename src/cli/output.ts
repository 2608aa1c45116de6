/**
 * What the CLI prints: tables and short sentences for people (stdout), notes and prompts on
 * stderr, and `--json` documents for scripts (stdout, one JSON value).
 */

/** Where output goes: the process's streams, as they were when this module loaded. */
interface OutputStreams {
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WritableStream
}

const streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr }

/**
 * Prints a line (or several) on stdout.
 *
 * @example
 * printLine('Logged in as ada@example.com')
 */
export function printLine(text = ''): void {
  streams.stdout.write(`${text}\n`)
}

/**
 * Prints a note for the person at the terminal on stderr, so stdout stays clean for pipes.
 *
 * @example
 * note('This token is shown once; store it now.')
 */
export function note(text: string): void {
  streams.stderr.write(`${text}\n`)
}

/**
 * Prints one JSON document on stdout (2-space indent).
 *
 * @example
 * printJson({ keys })
 */
export function printJson(value: unknown): void {
  streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/**
 * Pads columns into a plain-text table with an upper-case header row. Cells may be empty.
 *
 * @example
 * renderTable(['name', 'status'], [['ci', 'active']])
 * // 'NAME  STATUS\nci    active'
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers.map((h) => h.toUpperCase()), ...rows]
  const widths = headers.map((_, col) => Math.max(...all.map((row) => [...(row[col] ?? '')].length)))
  return all
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/**
 * Prints `key  value` pairs aligned (for `whoami`, `inspect`).
 *
 * @example
 * renderPairs([['User', 'ada@example.com'], ['Server', 'http://127.0.0.1:8080']])
 */
export function renderPairs(pairs: readonly (readonly [string, string])[], indent = ''): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`).join('\n')
}

const UNITS: readonly [string, number][] = [
  ['y', 365 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
]

/**
 * A time relative to now, short: `5m ago`, `in 29d`, `just now`; `-` when there is none.
 *
 * @example
 * relativeTime('2026-01-01T00:00:00Z', new Date('2026-01-01T00:05:00Z')) // '5m ago'
 */
export function relativeTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (iso === null || iso === undefined || iso === '') return '-'
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return iso
  const delta = at - now.getTime()
  const abs = Math.abs(delta)
  if (abs < 5000) return 'just now'
  const [unit, size] = UNITS.find(([, ms]) => abs >= ms) ?? ['s', 1000]
  const count = Math.round(abs / size)
  return delta < 0 ? `${count}${unit} ago` : `in ${count}${unit}`
}

/**
 * An instant in full with its relative form: `2026-12-01T00:00:00Z (in 29d)`.
 *
 * @example
 * describeTime('2026-12-01T00:00:00Z')
 */
export function describeTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (iso === null || iso === undefined || iso === '') return '-'
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return iso
  return `${new Date(at).toISOString().replace('.000Z', 'Z')} (${relativeTime(iso, now)})`
}

/**
 * A clock time for a deadline, in local time: `14:20` within a day, `2026-12-07 14:20` beyond.
 *
 * @example
 * clockTime('2026-12-06T14:20:00Z', new Date('2026-12-06T12:00:00Z')) // '14:20' (TZ=UTC)
 */
export function clockTime(iso: string, now: Date = new Date()): string {
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return iso
  const pad = (n: number): string => String(n).padStart(2, '0')
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`
  if (Math.abs(at.getTime() - now.getTime()) < 86_400_000) return time
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`
}

/**
 * A path for people: the home directory shown as `~`.
 *
 * @example
 * tildify('/home/ada/.config/crumb/config.json', '/home/ada') // '~/.config/crumb/config.json'
 */
export function tildify(path: string, home: string | undefined): string {
  if (home === undefined || home === '' || home === '/') return path
  const base = home.replace(/\/+$/, '')
  return path === base || path.startsWith(`${base}/`) ? `~${path.slice(base.length)}` : path
}
