import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import type { ServiceContext } from '../context.js'
import { registerSecurity } from '../schemas.js'
import { registerAuditApi } from './audit.js'
import { registerDeviceApi } from './auth-device.js'
import { registerLoginApi } from './auth-login.js'
import { registerOidcApi } from './auth-oidc.js'
import { registerHealthApi } from './health.js'
import { registerRevocationsApi } from './revocations.js'
import { registerSessionsApi } from './sessions.js'
import { registerTokensApi } from './tokens.js'
import { registerTrustPoliciesApi } from './trust-policies.js'
import { registerUsageApi } from './usage.js'
import { registerUsersApi } from './users.js'
import { registerVerifyApi } from './verify.js'
import { registerWhoamiApi } from './whoami.js'

/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes parse with.
 *
 * @example
 * const doc = openApiDocument('https://crumb.example')
 */
function openApiDocument(serverUrl?: string): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry()
  registerSecurity(registry)
  registerUsersApi(registry)
  registerLoginApi(registry)
  registerDeviceApi(registry)
  registerSessionsApi(registry)
  registerWhoamiApi(registry)
  registerTokensApi(registry)
  registerRevocationsApi(registry)
  registerVerifyApi(registry)
  registerUsageApi(registry)
  registerAuditApi(registry)
  registerTrustPoliciesApi(registry)
  registerOidcApi(registry)
  registerHealthApi(registry)
  registry.registerPath({
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'This document (also at /openapi.json)',
    responses: { '200': { description: 'OpenAPI 3.1' } },
  })
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'crumb token service',
      version: '1',
      description:
        'Macaroon capability tokens: keys (root tokens), revocation feed, remote verification, audit. ' +
        'Errors are application/problem+json with a `code`.',
    },
    ...(serverUrl === undefined ? {} : { servers: [{ url: serverUrl }] }),
  })
}

/**
 * `GET /openapi.json` and `/v1/openapi.json` (public).
 *
 * @example
 * app.use(openApiRoutes(ctx))
 */
export function openApiRoutes(ctx: ServiceContext): Router {
  const router = Router()
  let doc: string | undefined
  router.get(['/openapi.json', '/v1/openapi.json'], (_req: Request, res: Response) => {
    doc ??= JSON.stringify(openApiDocument(ctx.config.publicUrl))
    res.type('application/json').send(doc)
  })
  return router
}
