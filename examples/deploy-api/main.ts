import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as crumb from '../../src/verifier/index.js'
import { createDeployApi } from './app.js'
import { configFromEnv } from './config.js'

/** How long start-up waits for the first revocation snapshot before serving anyway (requests then wait or 503). */
const READY_WAIT_MS = 15_000

async function main(): Promise<void> {
  let config: ReturnType<typeof configFromEnv>
  try {
    config = configFromEnv(process.env)
  } catch (error) {
    console.error(`deploy-api: ${(error as Error).message}`)
    process.exit(2)
  }

  // Listen first: without CRUMB_AUDIENCE, the service's audience is its own URL, port included.
  const server = createServer()
  server.listen(config.port, config.host)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  const shown = host.includes(':') ? `[${host}]` : host
  const audience = config.audience ?? `http://${shown}:${port}`

  let auth: crumb.Verifier
  let resource: crumb.ProtectedResource
  try {
    // OAuth clients (MCP included) discover the token service from this document and the 401 pointer.
    resource = crumb.protectedResource({
      resource: audience,
      authorizationServers: [String(config.verifier.server)],
      scopesSupported: ['read', 'write', 'deploy'],
      resourceName: 'deploy-api (crumb example)',
    })
    auth = crumb.verifier({ ...config.verifier, audience: resource.resource })
  } catch (error) {
    console.error(`deploy-api: ${(error as Error).message}`)
    process.exit(2)
  }
  server.on(
    'request',
    createDeployApi({ authenticate: auth, authorize: crumb.require, status: auth.status, resource }),
  )

  let timer: NodeJS.Timeout | undefined
  const synced = await Promise.race([
    auth.ready().then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), READY_WAIT_MS)
    }),
  ])
  clearTimeout(timer)
  if (!synced)
    console.error('deploy-api: revocation feed not reachable yet; requests wait or get 503 until it is')

  console.log(`deploy-api (${config.verifier.mode} verification) listening on http://${shown}:${port}`)

  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    server.close()
    server.closeAllConnections()
    void auth.close().finally(() => process.exit(0))
    setTimeout(() => process.exit(0), 5_000).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

await main()
