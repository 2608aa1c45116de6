import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import {
  actorFor,
  createTrustPolicy,
  deleteTrustPolicy,
  listTrustPolicies,
  trustPolicyInputSchema,
  trustPolicyJson,
} from '../../service/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import { authOf } from '../auth.js'
import type { ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { bearer, jsonBody, jsonResponse, problems } from '../schemas.js'

/** A trust policy as the API shows it. */
export const trustPolicySchema = z
  .object({
    id: z.string().meta({ example: 'tp_3q2W1vXb0sPqH9tYk8mZ7A' }),
    name: z.string(),
    issuer: z.string().meta({ example: 'https://token.actions.githubusercontent.com' }),
    audience: z.string(),
    conditions: z
      .record(z.string(), z.string())
      .meta({ example: { repository: 'acme/web', ref: 'refs/heads/main' } }),
    caveats: z.array(z.string()),
    ttl: z.string().meta({ example: '15m' }),
    key_id: z
      .string()
      .meta({ description: 'the policy’s workload key; revoking it ends the policy’s tokens' }),
    created_at: z.string(),
    last_exchanged_at: z.string().nullable(),
  })
  .meta({ id: 'TrustPolicy' })

/** `POST /v1/trust-policies` body, as documented (checked by the service's schema). */
export const createTrustPolicyBody = z
  .object({
    name: z.string(),
    issuer: z
      .string()
      .meta({ description: 'https (http only on loopback with CRUMB_OIDC_ALLOW_LOOPBACK_ISSUERS=true)' }),
    audience: z.string(),
    conditions: z
      .record(z.string(), z.string())
      .meta({ description: 'claim → exact value or * glob within the claim; one besides iss/aud at least' }),
    caveats: z.array(z.string()).optional(),
    ttl: z.string().optional().meta({ description: 'lifetime of exchanged tokens: default 15m, at most 1h' }),
  })
  .meta({ id: 'CreateTrustPolicyRequest' })

const policyIdParams = z.object({ id: z.string().regex(/^tp_[A-Za-z0-9_-]{1,64}$/, 'not a trust policy id') })
const policyResponse = z.object({ policy: trustPolicySchema })
const policiesResponse = z.object({ policies: z.array(trustPolicySchema) })

/**
 * Trust policies: list (read), create and delete (write, unrestricted key).
 *
 * @example
 * app.use('/v1', trustPoliciesRoutes(ctx))
 */
export function trustPoliciesRoutes(ctx: ServiceContext): Router {
  const router = Router()
  const inputSchema = trustPolicyInputSchema({
    allowLoopbackIssuers: ctx.config.oidcAllowLoopbackIssuers === true,
    registry: ctx.registry,
  })

  router.get('/trust-policies', ctx.authenticate, async (_req: Request, res: Response) => {
    const policies = await listTrustPolicies(ctx, authOf(res).user.id)
    res.json({ policies: policies.map(trustPolicyJson) })
  })

  router.post('/trust-policies', ctx.authenticate, async (req: Request, res: Response) => {
    const auth = authOf(res)
    const input = parseRequest(inputSchema, req.body, 'body')
    const policy = await createTrustPolicy(
      ctx,
      auth,
      input,
      actorFor(auth.user, requestMeta(req), auth.key.id),
    )
    res.status(201).json({ policy: trustPolicyJson(policy) })
  })

  router.delete('/trust-policies/:id', ctx.authenticate, async (req: Request, res: Response) => {
    const { id } = parseRequest(policyIdParams, req.params, 'params')
    const auth = authOf(res)
    const policy = await deleteTrustPolicy(ctx, auth, id, actorFor(auth.user, requestMeta(req), auth.key.id))
    res.json({ policy: trustPolicyJson(policy) })
  })
  return router
}

/** Documents the routes of this file. */
export function registerTrustPoliciesApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/trust-policies',
    summary: 'The caller’s trust policies (CI workload identity)',
    security: bearer,
    responses: { '200': jsonResponse('the policies', policiesResponse), ...problems(401, 403) },
  })
  registry.registerPath({
    method: 'post',
    path: '/v1/trust-policies',
    summary: 'Trust a CI issuer’s jobs that meet the conditions (needs an unrestricted key)',
    security: bearer,
    request: { body: jsonBody(createTrustPolicyBody) },
    responses: { '201': jsonResponse('the policy', policyResponse), ...problems(400, 401, 403, 413) },
  })
  registry.registerPath({
    method: 'delete',
    path: '/v1/trust-policies/{id}',
    summary: 'Delete a trust policy and revoke its workload key',
    security: bearer,
    request: { params: policyIdParams },
    responses: { '200': jsonResponse('the deleted policy', policyResponse), ...problems(400, 401, 403, 404) },
  })
}
