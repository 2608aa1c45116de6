import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { deviceSchema, emailSchema, passwordSchema } from '../../api-fields.js'
import { checkRegistrationLimit, keyJson, register } from '../../service/index.js'
import { requestMeta } from '../../wire/request-meta.js'
import type { ServiceContext } from '../context.js'
import { parseRequest } from '../problem.js'
import { jsonBody, jsonResponse, keySchema, problems, userSchema } from '../schemas.js'

/** `POST /v1/users` body. */
export const registerBody = z
  .object({
    email: emailSchema,
    password: passwordSchema,
    // beside DESIGN's fields (#18 item 4): the CLI names the first key after the device, as a
    // login does, so the next `crumb login` there replaces it instead of adding a second key
    device: deviceSchema.optional().meta({ description: 'name the first key `CLI login on <device>`' }),
  })
  .meta({ id: 'RegisterRequest' })

/** `POST /v1/users` response. */
export const registerResponse = z
  .object({ user: userSchema, token: z.string(), key: keySchema })
  .meta({ id: 'RegisterResponse' })

/**
 * Registration (public): creates the user and their first key (source `register`).
 *
 * @example
 * app.use('/v1', usersRoutes(ctx))
 */
export function usersRoutes(ctx: ServiceContext): Router {
  const router = Router()
  router.post('/users', async (req: Request, res: Response) => {
    const meta = requestMeta(req)
    checkRegistrationLimit(ctx, meta)
    const body = parseRequest(registerBody, req.body, 'body')
    const { user, minted } = await register(ctx, body, meta)
    res
      .status(201)
      .json({ user: { id: user.id, email: user.email }, token: minted.token, key: keyJson(minted.key) })
  })
  return router
}

/** Documents the routes of this file. */
export function registerUsersApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/users',
    summary: 'Register: create a user and their first key',
    request: { body: jsonBody(registerBody) },
    responses: {
      '201': jsonResponse('the user and their first key', registerResponse),
      ...problems(400, 409, 413, 429),
    },
  })
}
