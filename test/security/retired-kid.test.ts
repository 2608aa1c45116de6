import { join } from 'node:path'
import express from 'express'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { retireKeyInFile, rotateKeyRingFile } from '../../src/server/keyring-file.js'
import { startServer } from '../../src/server/start.js'
import { decodeIdentifier, decodeToken } from '../../src/token/index.js'
import * as crumb from '../../src/verifier/index.js'
import { callApi, registerViaApi } from '../helpers/http.js'
import { engineEnv } from '../helpers/test-engine.js'
import { email, quietLogger, useTempDirs } from '../server/helpers.js'
import { eventually, memoryLogger } from '../verifier/helpers.js'
import { useCleanups } from './helpers.js'

const later = useCleanups()
const tempDir = useTempDirs('crumb-retired-kid-')

const kidOf = (token: string): string => decodeIdentifier(decodeToken(token).identifierText).kid

describe('a retired key id reaches remote verifiers through the feed', () => {
  // #15 item 5
  it("drops cached answers for the retired kid's tokens at once, not after the cache TTL", async () => {
    // a real token service watching its key ring file, changed as `crumb keyring rotate / retire` do
    const dataDir = tempDir()
    const keyring = join(dataDir, 'keyring.json')
    // CRUMB_JOB_INTERVAL: no background job helps (a retired kid is no job's business anyway)
    const server = await startServer({
      port: 0,
      dataDir,
      env: { CRUMB_JOB_INTERVAL: '1h', ...(await engineEnv(dataDir)) },
      logger: quietLogger(),
    })
    later(() => server.close())
    const user = await registerViaApi(server.url, email())
    const newKey = async (name: string, caveats: string[] = []): Promise<string> => {
      const res = await callApi(server.url, 'POST', '/v1/tokens', { token: user, body: { name, caveats } })
      expect(res.status).toBe(201)
      return res.body.token as string
    }
    const ci = await newKey('ci')
    const oldKid = kidOf(ci)

    // a new primary (taken up without a restart) signs the verifier's own service token, which keeps working
    const { primary } = rotateKeyRingFile(keyring)
    let svc = ''
    await eventually(
      async () => {
        svc = await newKey('deploy-api', ['ops = verify'])
        return kidOf(svc) === primary
      },
      10_000,
      100,
    )

    const auth = crumb.verifier({
      mode: 'remote',
      server: server.url,
      serviceToken: svc,
      usage: false,
      cache: { ttl: '1m' },
      logger: memoryLogger(),
    })
    later(() => auth.close())
    await auth.ready()
    const api = express()
    api.use(auth)
    api.get('/status', (_req, res) => {
      res.json({ ok: true })
    })
    const status = () => request(api).get('/status').set('Authorization', `Bearer ${ci}`)
    expect((await status()).status).toBe(200) // cached for a minute from here

    retireKeyInFile(keyring, oldKid)
    // the service itself refuses the token as soon as it has read the file
    await eventually(
      async () => (await callApi(server.url, 'GET', '/v1/whoami', { token: ci })).status === 401,
    )
    // and the verifier's cached answer goes with the feed's next answer: seconds, not the cache's minute
    // (nor the feed's 25 s long-poll)
    await eventually(async () => (await status()).status === 401, 10_000, 100)
    const refused = await status()
    expect(refused.body.code).toBe('invalid_token')
  }, 45_000)
})
