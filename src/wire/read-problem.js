// @ts-check
/**
 * Reads a problem+json answer (RFC 9457) the way every crumb client does: the CLI and the remote
 * verifier (through `problem.ts`) and the dashboard's pages, which load this very file in the
 * browser (`/wire/read-problem.js`). Plain JavaScript with JSDoc types and no imports, for that
 * reason. Lenient: any server may answer, so members of the wrong type are dropped.
 */

/**
 * A field problem of a `validation_failed` answer, as a reader keeps it.
 * @typedef {{ readonly path?: string | undefined, readonly message: string }} ParsedIssue
 */

/**
 * A problem answer as a reader sees it: every member optional. `code` is not narrowed to crumb's
 * codes (a newer server may send another); `caveat` is the failed caveat where the answer names
 * one; `errors` the field problems of a `validation_failed`.
 * @typedef {{
 *   readonly type?: string | undefined,
 *   readonly title?: string | undefined,
 *   readonly status?: number | undefined,
 *   readonly code?: string | undefined,
 *   readonly detail?: string | undefined,
 *   readonly caveat?: { readonly index: number, readonly text: string } | undefined,
 *   readonly errors?: readonly ParsedIssue[] | undefined,
 * }} ParsedProblem
 */

/**
 * @param {unknown} value
 * @returns {string | undefined}
 */
const text = (value) => (typeof value === 'string' ? value : undefined)

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * One `errors` entry: ours (`{in, path, message}`), a bare string, or another server's shape
 * (`path` as an array, a JSON `pointer`, `detail` for the message); undefined when unreadable.
 * @param {unknown} issue
 * @returns {ParsedIssue | undefined}
 */
function readIssue(issue) {
  if (typeof issue === 'string') return { message: issue }
  if (!isObject(issue)) return undefined
  const { path, pointer, message, detail } = issue
  let dotted
  if (Array.isArray(path)) {
    if (!path.every((part) => typeof part === 'string' || typeof part === 'number')) return undefined
    dotted = path.join('.')
  } else if (path === undefined) {
    dotted = text(pointer)
  } else if (typeof path === 'string') {
    dotted = path
  } else {
    return undefined
  }
  return { path: dotted, message: text(message) ?? text(detail) ?? 'invalid' }
}

/**
 * @param {unknown} errors
 * @returns {ParsedIssue[] | undefined} every entry read, or undefined when one cannot be
 */
function readIssues(errors) {
  if (!Array.isArray(errors)) return undefined
  const issues = []
  for (const entry of errors) {
    const issue = readIssue(entry)
    if (issue === undefined) return undefined
    issues.push(issue)
  }
  return issues
}

/**
 * Reads a problem answer's body, as text or as parsed JSON. Anything that is not a JSON object
 * gives an empty problem, so the caller falls back on the HTTP status.
 *
 * @example
 * const problem = readProblem(await response.text())
 * problem.code ?? `http_${response.status}`
 *
 * @param {unknown} body
 * @returns {ParsedProblem}
 */
export function readProblem(body) {
  let json = body
  if (typeof body === 'string') {
    try {
      json = JSON.parse(body)
    } catch {
      return {}
    }
  }
  if (!isObject(json)) return {}
  const { type, title, status, code, detail, caveat, errors } = json
  /** @type {{ -readonly [K in keyof ParsedProblem]: ParsedProblem[K] }} */
  const problem = {}
  if (typeof type === 'string') problem.type = type
  if (typeof title === 'string') problem.title = title
  if (typeof status === 'number') problem.status = status
  if (typeof code === 'string') problem.code = code
  if (typeof detail === 'string') problem.detail = detail
  if (isObject(caveat) && typeof caveat.index === 'number' && typeof caveat.text === 'string') {
    problem.caveat = { index: caveat.index, text: caveat.text }
  }
  const issues = readIssues(errors)
  if (issues !== undefined) problem.errors = issues
  return problem
}
