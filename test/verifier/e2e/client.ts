/** A tiny client of the token service's HTTP API, for the end-to-end tests. */
export interface Key {
  id: string
  name: string
  status: string
  last_used_at: string | null
  last_used_ip: string | null
  last_used_user_agent: string | null
}

async function call<T>(
  url: string,
  init: RequestInit & { token?: string } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`
  const res = await fetch(url, {
    ...init,
    headers: { ...headers, ...(init.headers as Record<string, string>) },
  })
  const text = await res.text()
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T }
}

/** The token service, seen from a test. */
export class TokenServiceClient {
  constructor(readonly url: string) {}

  /** Registers a user; returns their first (root) token. */
  async register(
    email: string,
    password = 'correct horse battery staple',
  ): Promise<{ token: string; userId: string }> {
    const res = await call<{ user: { id: string }; token: string }>(`${this.url}/v1/users`, {
      method: 'POST',
      body: JSON.stringify({ email, password }),
    })
    if (res.status !== 201) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`)
    return { token: res.body.token, userId: res.body.user.id }
  }

  /** Creates a named key with caveats (`POST /v1/tokens`). */
  async createToken(
    token: string,
    name: string,
    caveats: string[] = [],
    expiresIn?: string,
  ): Promise<{ token: string; key: Key }> {
    const res = await call<{ token: string; key: Key }>(`${this.url}/v1/tokens`, {
      method: 'POST',
      token,
      body: JSON.stringify({ name, caveats, ...(expiresIn === undefined ? {} : { expires_in: expiresIn }) }),
    })
    if (res.status !== 201)
      throw new Error(`create token answered ${res.status}: ${JSON.stringify(res.body)}`)
    return res.body
  }

  async listTokens(token: string): Promise<Key[]> {
    const res = await call<{ keys: Key[] }>(`${this.url}/v1/tokens`, { token })
    if (res.status !== 200) throw new Error(`list tokens answered ${res.status}`)
    return res.body.keys
  }

  /** Revokes a token (`POST /v1/revocations`, public). */
  async revoke(token: string): Promise<{ token_id: string; revocation_id?: string }> {
    const res = await call<{ revoked: { token_id: string; revocation_id?: string } }>(
      `${this.url}/v1/revocations`,
      {
        method: 'POST',
        body: JSON.stringify({ token }),
      },
    )
    if (res.status !== 200) throw new Error(`revoke answered ${res.status}: ${JSON.stringify(res.body)}`)
    return res.body.revoked
  }
}

/** One call to the deploy API: status and problem code. */
export interface Outcome {
  status: number
  code: string | undefined
  body: unknown
  headers: Headers
}

/** Calls the deploy API with a token (Authorization: Bearer) and extra headers. */
export async function callApi(
  base: string,
  method: string,
  path: string,
  token?: string,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(method === 'POST' ? { body: JSON.stringify({ ref: 'main' }) } : {}),
  })
  const text = await res.text()
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = text
  }
  const code = typeof body === 'object' && body !== null && 'code' in body ? String(body.code) : undefined
  return { status: res.status, code, body, headers: res.headers }
}
