import { expect } from 'vitest'
import type { Store } from '../../src/store/index.js'
import { addKey, addUser, at, DAY } from './helpers.js'

type Case = (name: string, fn: (e: { store: Store }) => Promise<void>, timeout?: number) => void

const request = (
  id: string,
  overrides: Partial<Parameters<Store['oauth']['createAuthorization']>[0]> = {},
) => ({
  id,
  clientId: 'cli_1',
  clientName: 'My app',
  redirectUri: 'http://127.0.0.1:5555/cb',
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  state: 'st',
  scope: 'read org:acme',
  resource: 'https://deploy.example',
  createdAt: at(0),
  expiresAt: at(600_000),
  ...overrides,
})

const approval = (userId: string, codeHash: string) => ({
  userId,
  grantedScope: 'read org:acme',
  caveats: ['ops = read', 'org = acme'],
  grantTtlMs: 30 * DAY,
  codeHash,
  codeExpiresAt: at(60_000),
})

/**
 * The OAuth authorization server's storage (#19), run by every engine through `storeContract`:
 * clients, authorization requests whose code is used once, grants that go with their key, refresh
 * tokens used once, pruning, and a key of source `oauth`.
 */
export function oauthContract(test: Case): void {
  test('a client is stored with its redirect URIs and secret hash', async ({ store }) => {
    const c = await store.oauth.insertClient({
      id: 'cli_a',
      name: 'Confidential',
      redirectUris: ['https://app.example/cb', 'http://127.0.0.1/cb'],
      authMethod: 'client_secret_basic',
      secretHash: 'h',
      createdAt: at(0),
      registeredIp: '10.0.0.1',
    })
    expect(c).toMatchObject({ id: 'cli_a', authMethod: 'client_secret_basic', secretHash: 'h', scope: null })
    expect(await store.oauth.getClient('cli_a')).toEqual(c)
    expect(await store.oauth.getClient('cli_b')).toBeUndefined()
  })

  test('an authorization is approved once, then its code consumed once while it is fresh', async ({
    store,
  }) => {
    const uid = await addUser(store)
    const created = await store.oauth.createAuthorization(request('azr_1'))
    expect(created).toMatchObject({ status: 'pending', userId: null, caveats: [], codeHash: null })
    const approved = await store.oauth.approveAuthorization('azr_1', approval(uid, 'code1'), at(1000))
    expect(approved).toMatchObject({
      status: 'approved',
      userId: uid,
      grantedScope: 'read org:acme',
      caveats: ['ops = read', 'org = acme'],
      grantTtlMs: 30 * DAY,
      codeHash: 'code1',
    })
    // decided already: neither a second approval nor a denial takes
    expect(await store.oauth.approveAuthorization('azr_1', approval(uid, 'code2'), at(2000))).toBeUndefined()
    expect(await store.oauth.denyAuthorization('azr_1', uid, at(2000))).toBe(false)
    expect((await store.oauth.findAuthorizationByCode('code1'))?.id).toBe('azr_1')
    // the code is past its 60 s: not consumed
    const late = await addKey(store, uid, { source: 'oauth' })
    expect(await store.oauth.consumeAuthorization('code1', late.id, at(60_000))).toBe(false)
    // of six concurrent exchanges in time, one wins
    await store.oauth.createAuthorization(request('azr_2'))
    await store.oauth.approveAuthorization('azr_2', approval(uid, 'code3'), at(1000))
    const keys = await Promise.all(
      Array.from({ length: 6 }, (_, i) => addKey(store, uid, { id: `tok_oa${i}`, source: 'oauth' })),
    )
    const won = await Promise.all(
      keys.map((k) => store.transaction((tx) => tx.oauth.consumeAuthorization('code3', k.id, at(5000)))),
    )
    expect(won.filter(Boolean)).toHaveLength(1)
    const after = await store.oauth.findAuthorizationByCode('code3')
    expect(after?.status).toBe('consumed')
    expect(keys.map((k) => k.id)).toContain(after?.keyId)
  })

  test('an expired request can be neither approved nor denied; a pending one can be denied', async ({
    store,
  }) => {
    const uid = await addUser(store)
    await store.oauth.createAuthorization(request('azr_3'))
    expect(await store.oauth.approveAuthorization('azr_3', approval(uid, 'c'), at(600_000))).toBeUndefined()
    expect(await store.oauth.denyAuthorization('azr_3', uid, at(600_000))).toBe(false)
    await store.oauth.createAuthorization(request('azr_4'))
    expect(await store.oauth.denyAuthorization('azr_4', uid, at(1))).toBe(true)
    expect(await store.oauth.getAuthorization('azr_4')).toMatchObject({ status: 'denied', userId: uid })
  })

  test('a key of source oauth carries a grant and refresh tokens, which go when the key row goes', async ({
    store,
  }) => {
    const uid = await addUser(store)
    const key = await addKey(store, uid, { source: 'oauth', name: 'My app', caveats: ['ops = read'] })
    expect(key.source).toBe('oauth')
    expect((await store.keys.list(uid)).map((k) => k.source)).toEqual(['oauth'])
    const grant = await store.oauth.insertGrant({
      keyId: key.id,
      userId: uid,
      clientId: 'https://app.example/client.json',
      resource: 'https://deploy.example',
      scope: 'read',
      createdAt: at(0),
    })
    expect(await store.oauth.getGrant(key.id)).toEqual(grant)
    await store.oauth.insertRefreshToken({
      tokenHash: 'rt1',
      keyId: key.id,
      clientId: grant.clientId,
      createdAt: at(0),
      expiresAt: at(DAY),
    })
    expect(await store.oauth.findRefreshToken('rt1')).toMatchObject({ keyId: key.id, usedAt: null })
    await store.keys.hardDelete(key.id)
    expect(await store.oauth.getGrant(key.id)).toBeUndefined()
    expect(await store.oauth.findRefreshToken('rt1')).toBeUndefined()
  })

  test('a refresh token is used once, even by concurrent exchanges', async ({ store }) => {
    const uid = await addUser(store)
    const key = await addKey(store, uid, { source: 'oauth' })
    await store.oauth.insertRefreshToken({
      tokenHash: 'rt2',
      keyId: key.id,
      clientId: 'cli_1',
      createdAt: at(0),
      expiresAt: at(DAY),
    })
    const used = await Promise.all(
      Array.from({ length: 6 }, () => store.transaction((tx) => tx.oauth.useRefreshToken('rt2', at(10)))),
    )
    expect(used.filter(Boolean)).toHaveLength(1)
    expect((await store.oauth.findRefreshToken('rt2'))?.usedAt).toBe(at(10))
  })

  test('prune drops old requests and expired refresh tokens', async ({ store }) => {
    const uid = await addUser(store)
    const key = await addKey(store, uid, { source: 'oauth' })
    await store.oauth.createAuthorization(request('azr_old'))
    await store.oauth.createAuthorization(request('azr_new', { expiresAt: at(3 * DAY) }))
    for (const [hash, end] of [
      ['rt_old', at(DAY)],
      ['rt_new', at(3 * DAY)],
    ] as const) {
      await store.oauth.insertRefreshToken({
        tokenHash: hash,
        keyId: key.id,
        clientId: 'cli_1',
        createdAt: at(0),
        expiresAt: end,
      })
    }
    expect(await store.oauth.prune(at(2 * DAY), at(DAY))).toBe(2)
    expect(await store.oauth.getAuthorization('azr_old')).toBeUndefined()
    expect(await store.oauth.getAuthorization('azr_new')).toBeDefined()
    expect(await store.oauth.findRefreshToken('rt_old')).toBeUndefined()
    expect(await store.oauth.findRefreshToken('rt_new')).toBeDefined()
  })
}
