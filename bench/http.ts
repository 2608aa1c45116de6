import { Agent, request } from 'node:http'

/** JSON over fetch for the benchmarks' setup calls (register, create keys, …); throws on non-2xx. */
export async function json<T>(url: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const res = await fetch(url, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
    },
  })
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as T
}

const keepAlive = new Agent({ keepAlive: true })

/**
 * `GET url` over node:http with a keep-alive agent (a connection per request in flight, kept
 * between requests, as fetch keeps them); resolves with the status and the body as text. For the
 * propagation phases, which hold 100 verifiers' long-polls in this one process: fetch costs about
 * three times the CPU per request, and this process's one event loop adds that cost up into every
 * revocation's delivery tail, where real verifiers, each in its own process, pay it side by side.
 *
 * @example
 * const { status, body } = await httpGet(`${url}/v1/revocations?since=${cursor}&wait=5`, { authorization })
 */
export function httpGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: keepAlive, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}
