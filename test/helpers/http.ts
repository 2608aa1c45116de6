import { expect } from 'vitest'

/**
 * HTTP to a running token service (a real port), shared by the process, CLI and dashboard tests.
 */

/** The password test users register with. */
export const PASSWORD = 'correct horse battery staple'

/** A response of {@link callApi}. */
export interface ApiResult {
  readonly status: number
  readonly body: Record<string, unknown>
  readonly headers: Headers
}

/**
 * Calls the token service from Node (no cookies), as a script using a key would.
 *
 * @example
 * const { status, body } = await callApi(url, 'GET', '/v1/whoami', { token })
 */
export async function callApi(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResult> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(url + path, {
    method,
    headers,
    redirect: 'manual',
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  let body: Record<string, unknown> = {}
  if (text !== '') {
    try {
      body = JSON.parse(text) as Record<string, unknown>
    } catch {
      body = { text }
    }
  }
  return { status: response.status, body, headers: response.headers }
}

/**
 * Registers a user through the API; returns the first key's token.
 *
 * @example
 * const token = await registerViaApi(url, 'ada@example.com')
 */
export async function registerViaApi(url: string, email: string, password = PASSWORD): Promise<string> {
  const res = await callApi(url, 'POST', '/v1/users', { body: { email, password } })
  expect(res.status).toBe(201)
  return res.body.token as string
}
