/**
 * The wire schemas accept what the token service emits (#16 item 5): the Key JSON the CLI reads,
 * the revocation feed the verifiers read. A real server process on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keySchema } from '../../src/wire/key.js'
import { revocationFeedSchema } from '../../src/wire/revocation-feed.js'
import { TokenServiceClient } from '../verifier/e2e/client.js'
import { build, type Running, startTokenService, tempDataDir } from '../verifier/e2e/processes.js'

let service: Running
let api: TokenServiceClient

beforeAll(async () => {
  build()
  service = await startTokenService(tempDataDir())
  api = new TokenServiceClient(service.url)
}, 120_000)

afterAll(async () => {
  await service?.stop()
})

async function get(path: string, token: string): Promise<unknown> {
  const res = await fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  return res.json()
}

describe('wire schemas against the token service', () => {
  it('the Key schema takes every key the service lists, with no member left over', async () => {
    const { token } = await api.register('wire@example.com')
    const scoped = await api.createToken(token, 'ci', ['org = acme', 'ops = read,deploy'], '30d')
    await api.createToken(token, 'gone')
    const gone = (await api.listTokens(token)).find((k) => k.name === 'gone')
    expect(gone).toBeDefined()
    const del = await fetch(`${service.url}/v1/tokens/${gone?.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(del.status).toBe(200)
    expect(keySchema.strict().parse(scoped.key).caveats).toEqual(['org = acme', 'ops = read,deploy'])
    const body = (await get('/v1/tokens?include_revoked=true', token)) as { keys: unknown[] }
    const keys = body.keys.map((k) => keySchema.strict().parse(k))
    expect(keys.map((k) => k.status).sort()).toEqual(['active', 'active', 'revoked'])
  })

  it('the feed schema takes the revocation feed', async () => {
    const { token } = await api.register('feed@example.com')
    const { token: doomed } = await api.createToken(token, 'doomed')
    await api.revoke(doomed)
    const feed = revocationFeedSchema.parse(await get('/v1/revocations', token))
    expect(feed.entries.length).toBeGreaterThan(0)
    expect(typeof feed.cursor).toBe('string')
  })
})
