import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { deviceSchema, emailSchema } from '../../api-fields.js'
import { cliLogin, keyJson } from '../../service/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import type { ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { jsonBody, jsonResponse, mintedSchema, problems } from '../schemas.js'

/** `POST /v1/auth/login` body. */
export const loginBody = z
  .object({ email: emailSchema, password: z.string().min(1).max(1024), device: deviceSchema })
  .meta({ id: 'LoginRequest' })

/**
 * Password login for the CLI (public): mints `CLI login on <device>` (source `cli-login`),
 * revoking an earlier active key of that name as `replaced`.
 *
 * @example
 * app.use('/v1', loginRoutes(ctx))
 */
export function loginRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.post('/auth/login', async (req: Request, res: Response) => {
    const body = parseRequest(loginBody, req.body, 'body')
    const minted = await cliLogin(ctx, body, requestMeta(req))
    res.status(201).json({ token: minted.token, key: keyJson(minted.key) })
  })
  return router
}

/** Documents the routes of this file. */
export function registerLoginApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/auth/login',
    summary: 'Password login for a device; replaces the earlier key of that device',
    request: { body: jsonBody(loginBody) },
    responses: { '201': jsonResponse('the new key', mintedSchema), ...problems(400, 401, 413, 429) },
  })
}
