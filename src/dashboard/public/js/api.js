// @ts-check
/**
 * Calls the documented /v1 API from dashboard pages. The session travels in an HttpOnly cookie
 * the page never sees; state-changing calls echo the `crumb_csrf` cookie in `X-CSRF-Token`.
 */

// The problem reader is the one the CLI and the verifiers use, served at /wire/read-problem.js:
// this relative path names it in the source tree (src/dashboard/public/js -> src/wire/) for the
// type checker, and resolves to that URL in the browser (a path cannot climb above the root).
import { readProblem } from '../../../wire/read-problem.js'

/**
 * A key as the API returns it (DESIGN.md "Key"): the wire type the server and the CLI use.
 * @typedef {import('../../../wire/key.js').KeyJson} Key
 */

/**
 * A key just minted, with its token (shown once).
 * @typedef {{ token: string, key: Key }} Minted
 */

/**
 * One audit-log event.
 * @typedef {{ id: string | number, at: string, event: string, key_id: string | null, actor: string,
 *   ip: string | null, user_agent: string | null, detail?: Record<string, unknown> | null }} AuditEvent
 */

/** @typedef {import('../../../wire/read-problem.js').ParsedProblem} ParsedProblem */
/** @typedef {import('../../../wire/read-problem.js').ParsedIssue} FieldProblem */

/** A failed call: the problem+json body's `code` and `detail`, and the HTTP status. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {ParsedProblem} problem
   */
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `request failed (${status})`)
    this.name = 'ApiError'
    this.status = status
    /** @type {string} */
    this.code = problem.code ?? 'unknown'
    /** @type {readonly FieldProblem[]} */
    this.errors = problem.errors ?? []
  }
}

/** @returns {string} the CSRF cookie's value ('' when missing) */
export function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=')
    if (name === 'crumb_csrf') return decodeURIComponent(rest.join('='))
  }
  return ''
}

/** Sends the browser to the sign-in page, coming back here afterwards. */
export function redirectToSignIn() {
  const next = `${location.pathname}${location.search}`
  location.assign(`/sign-in?next=${encodeURIComponent(next)}`)
}

const SESSION_ENDED = new Set(['invalid_token', 'token_expired', 'token_revoked'])

/**
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, headers?: Record<string, string>, redirectOn401?: boolean }} [options]
 * @returns {Promise<unknown>} the parsed JSON body (null for 204)
 */
export async function api(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', ...options.headers }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken()
  let response
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    })
  } catch {
    throw new ApiError(0, { code: 'network', detail: 'Could not reach the server. Check your connection.' })
  }
  const text = await response.text()
  if (!response.ok) {
    const problem = readProblem(text)
    const error = new ApiError(
      response.status,
      Object.keys(problem).length === 0 ? { detail: response.statusText } : problem,
    )
    if (response.status === 401 && options.redirectOn401 !== false && SESSION_ENDED.has(error.code)) {
      redirectToSignIn()
    }
    throw error
  }
  if (text === '') return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/** @type {Record<string, string | undefined>} */
const FRIENDLY = {
  last_key_protected: 'This is your last active key. Create another key before revoking it.',
  rate_limited: 'Too many requests. Wait a moment and try again.',
  unauthorized: 'Wrong email or password.',
  token_revoked: 'Your session has ended. Sign in again.',
  token_expired: 'Your session has expired. Sign in again.',
  forbidden: 'The request was refused as a possible cross-site request. Reload the page and try again.',
  insufficient_scope: 'This session may not do that.',
}

/**
 * A sentence for the status region.
 * @param {unknown} error
 * @returns {string}
 */
export function describeError(error) {
  if (error instanceof ApiError) {
    const friendly = FRIENDLY[error.code]
    if (friendly !== undefined) return friendly
    const detail = error.message
    return detail.length > 0
      ? `${detail.charAt(0).toUpperCase()}${detail.slice(1)}.`.replace(/\.\.$/, '.')
      : 'Failed.'
  }
  return 'Something went wrong. Reload the page and try again.'
}
