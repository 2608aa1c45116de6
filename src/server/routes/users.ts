import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { deviceSchema, emailSchema, passwordSchema } from '../../api-fields.js'
import { newUserId } from '../../token/index.js'
import { requestMeta, type ServiceContext } from '../context.js'
import { actorOf, keyJson, mintKey } from '../lifecycle.js'
import { hashPassword } from '../password.js'
import { parseRequest, RateLimited } from '../problem.js'
import { jsonBody, jsonResponse, keySchema, problems, userSchema } from '../schemas.js'
import { cliKeyName } from './auth-login.js'

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
    const ipKey = `ip:${requestMeta(req).ip ?? '?'}`
    const wait = ctx.limits.register.retryAfterMs(ipKey)
    if (wait > 0) throw new RateLimited('too many registrations from this address', wait / 1000)
    const body = parseRequest(registerBody, req.body, 'body')
    ctx.limits.register.hit(ipKey)
    const passwordHash = await hashPassword(body.password, ctx.config.scrypt)
    const { user, minted } = await ctx.writes.run(() => {
      const user = ctx.store.users.insert({
        id: newUserId(),
        email: body.email,
        passwordHash,
        createdAt: ctx.clock.now(),
      })
      const minted = mintKey(ctx, {
        user,
        name: body.device === undefined ? 'Registration key' : cliKeyName(body.device),
        source: 'register',
        ttlMs: ctx.config.tokenTtlMs,
        who: actorOf(req, user),
      })
      return { user, minted }
    })
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
