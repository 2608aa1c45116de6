import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterEach } from 'vitest'
import * as crumb from '../../src/verifier/index.js'
import type { TestService } from '../server/helpers.js'

/**
 * Clean-ups run after each test, newest first (servers before the services under them).
 *
 * @example
 * const later = useCleanups()
 * later(() => auth.close())
 */
export function useCleanups(): (close: () => Promise<void> | void) => void {
  const open: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const close of open.splice(0).reverse()) await close()
  })
  return (close) => {
    open.push(close)
  }
}

/**
 * Serves a test service on a loopback port (real HTTP, for verifiers) and returns its URL; both
 * are closed after the test.
 *
 * @example
 * const url = await listen(testService(), later)
 */
export async function listen(
  service: TestService,
  later: (close: () => Promise<void> | void) => void,
): Promise<string> {
  const server: Server = service.app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  later(() => service.cleanup())
  later(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/**
 * A one-route deploy API behind `auth`: `POST /deploy` (op deploy) answers 201.
 *
 * @example
 * await request(deployApi(auth)).post('/deploy').set('Authorization', `Bearer ${token}`)
 */
export function deployApi(auth: crumb.Verifier): express.Express {
  const app = express()
  app.use(auth)
  app.post('/deploy', crumb.require({ op: 'deploy' }), (_req, res) => {
    res.status(201).json({ ok: true })
  })
  return app
}
