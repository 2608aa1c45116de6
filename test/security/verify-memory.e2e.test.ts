/**
 * #15 item 2: memory held for refused requests must be bounded in bytes, whatever the attacker
 * sends. Any holder of a valid token can attenuate it with a unique caveat plus hundreds of filler
 * caveats (~12 KB each); every such token verifies its signature, is then refused (403), and must
 * not be kept. Real processes on loopback: the token service (`POST /v1/verify`) and the example
 * deploy API in local mode; their resident memory is read from /proc while thousands of distinct
 * attenuations arrive.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attenuate } from '../../src/token/index.js'
import { TokenServiceClient } from '../verifier/e2e/client.js'
import {
  build,
  type Running,
  startDeployApi,
  startTokenService,
  tempDataDir,
} from '../verifier/e2e/processes.js'

/** Filler caveats that parse and hold for org acme: they only make the token large. */
const FILLER = Array.from({ length: 330 }, () => 'org = acme,acme-filler-x')

/** Resident memory of a child process, in MiB (Linux /proc). */
function rssMiB(r: Running): number {
  const status = readFileSync(`/proc/${r.child.pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
  if (kb === undefined) throw new Error('no VmRSS')
  return Number(kb) / 1024
}

/** Runs `task(i)` for i in [from, to) with `width` requests in flight; returns the statuses seen. */
async function flood(from: number, to: number, task: (i: number) => Promise<number>): Promise<Set<number>> {
  const seen = new Set<number>()
  let next = from
  const width = 8
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < to) seen.add(await task(next++))
    }),
  )
  return seen
}

describe.skipIf(process.platform !== 'linux')(
  '#15 item 2: distinct refused attenuations are not kept',
  () => {
    let service: Running
    let local: Running
    let root: string

    beforeAll(async () => {
      build()
      const dataDir = tempDataDir()
      service = await startTokenService(dataDir)
      const api = new TokenServiceClient(service.url)
      const svc = await api.register('deploy-api@example.com')
      const serviceToken = (await api.createToken(svc.token, 'deploy-api service')).token
      root = (await api.register('attacker@example.com')).token
      local = await startDeployApi({
        server: service.url,
        serviceToken,
        keyring: join(dataDir, 'keyring.json'),
      })
    }, 180_000)

    afterAll(async () => {
      await Promise.all([local?.stop(), service?.stop()])
    })

    /** A distinct ~12 KB attenuation that verifies, then lacks scope for app web. */
    const hostile = (i: number): string => attenuate(root, [`app = probe-${i}`, ...FILLER])

    it('a local deploy API stays within a small bound over 1,500 refused tokens', async () => {
      expect(hostile(0).length).toBeGreaterThan(11_000)
      const send = async (i: number): Promise<number> => {
        const res = await fetch(`${local.url}/orgs/acme/apps/web/deploys`, {
          method: 'POST',
          headers: { authorization: `Bearer ${hostile(i)}`, 'content-type': 'application/json' },
          body: '{"ref":"main"}',
        })
        await res.arrayBuffer()
        return res.status
      }
      // Warm-up: code compiled, heap grown to its working size.
      expect(await flood(0, 300, send)).toEqual(new Set([403]))
      const before = rssMiB(local)
      expect(await flood(300, 1_800, send)).toEqual(new Set([403]))
      const growth = rssMiB(local) - before
      // Unbounded, this grew by ~125 KB per token (about 190 MB here).
      expect(growth, `RSS grew ${growth.toFixed(0)} MiB`).toBeLessThan(48)
    }, 180_000)

    it("the token service's /v1/verify stays within a small bound over 1,500 refused tokens", async () => {
      const send = async (i: number): Promise<number> => {
        const res = await fetch(`${service.url}/v1/verify`, {
          method: 'POST',
          headers: { authorization: `Bearer ${root}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            token: hostile(100_000 + i),
            request: { org: 'acme', app: 'web', op: 'deploy' },
          }),
        })
        await res.arrayBuffer()
        return res.status
      }
      expect(await flood(0, 300, send)).toEqual(new Set([403]))
      const before = rssMiB(service)
      expect(await flood(300, 1_800, send)).toEqual(new Set([403]))
      // Unbounded, this grew by ~135 KB per token (about 200 MB here).
      const growth = rssMiB(service) - before
      expect(growth, `RSS grew ${growth.toFixed(0)} MiB`).toBeLessThan(48)
    }, 180_000)
  },
)
