import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi'
import { type Request, type Response, Router } from 'express'
import * as z from 'zod'
import { deviceSchema, emailSchema } from '../../api-fields.js'
import { CrumbError } from '../../errors.js'
import type { UserRecord } from '../../store/index.js'
import { requestMeta, type ServiceContext } from '../context.js'
import { actorOf, keyJson, type MintKeyOptions, mintKey } from '../lifecycle.js'
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from '../password.js'
import { parseRequest, RateLimited } from '../problem.js'
import { jsonBody, jsonResponse, mintedSchema, problems } from '../schemas.js'

/** `POST /v1/auth/login` body. */
export const loginBody = z
  .object({ email: emailSchema, password: z.string().min(1).max(1024), device: deviceSchema })
  .meta({ id: 'LoginRequest' })

/** The key name of a CLI login on a device: one key per (user, name). */
export function cliKeyName(device: string): string {
  return `CLI login on ${device}`
}

/**
 * Checks email + password under the login rate limits (failures per (email, IP) and per IP, and
 * a ten times larger budget per email across addresses); upgrades a hash made at a lower cost. A wrong
 * pair is 401 `unauthorized`, a locked-out client 429 `rate_limited` with Retry-After.
 *
 * @example
 * const user = await checkCredentials(ctx, req, body.email, body.password)
 */
export async function checkCredentials(
  ctx: ServiceContext,
  req: Request,
  email: string,
  password: string,
): Promise<UserRecord> {
  const address = email.toLowerCase()
  const ip = requestMeta(req).ip ?? '?'
  const emailKey = `email:${address}`
  const pairKey = `email-ip:${address}\n${ip}`
  const ipKey = `ip:${ip}`
  const { loginEmail, loginEmailIp, loginIp } = ctx.limits
  // Failures lock out an address, and an (email, address) pair; the email alone only after ten
  // times as many (from many addresses): one attacker cannot lock the owner out from elsewhere.
  const wait = Math.max(
    loginEmailIp.retryAfterMs(pairKey),
    loginIp.retryAfterMs(ipKey),
    loginEmail.retryAfterMs(emailKey),
  )
  if (wait > 0) throw new RateLimited('too many failed login attempts; try again later', wait / 1000)
  // Count the attempt as a failure before the (slow, awaited) password check: checking the
  // limit and counting only afterwards let any number of concurrent guesses pass the check.
  loginEmailIp.hit(pairKey)
  loginIp.hit(ipKey)
  loginEmail.hit(emailKey)
  const user = ctx.store.users.getByEmail(email)
  let ok = false
  if (user === undefined) await burnPasswordCheck(password, ctx.config.scrypt)
  else ok = await verifyPassword(password, user.passwordHash)
  if (!ok || user === undefined) throw new CrumbError('unauthorized', 'wrong email or password')
  loginEmailIp.reset(pairKey)
  loginIp.release(ipKey)
  loginEmail.release(emailKey)
  if (needsRehash(user.passwordHash, ctx.config.scrypt)) {
    // a hash made under older, weaker parameters: store one at today's cost
    const stronger = await hashPassword(password, ctx.config.scrypt)
    await ctx.writes.run(() => ctx.store.users.setPasswordHash(user.id, stronger))
  }
  return user
}

/**
 * Checks the credentials (see {@link checkCredentials}), mints the described key for the user
 * (auditing `login` too) and answers 201 `{token, key}`.
 *
 * @example
 * await passwordLogin(ctx, req, res, body, { name: 'Dashboard session', source: 'dashboard-session', ttlMs })
 */
export async function passwordLogin(
  ctx: ServiceContext,
  req: Request,
  res: Response,
  credentials: { readonly email: string; readonly password: string },
  key: Pick<MintKeyOptions, 'name' | 'source' | 'ttlMs' | 'replaceSameName'>,
): Promise<void> {
  const user = await checkCredentials(ctx, req, credentials.email, credentials.password)
  const minted = await ctx.writes.run(() =>
    mintKey(ctx, { ...key, user, who: actorOf(req, user), alsoAudit: ['login'] }),
  )
  res.status(201).json({ token: minted.token, key: keyJson(minted.key) })
}

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
    await passwordLogin(ctx, req, res, body, {
      name: cliKeyName(body.device),
      source: 'cli-login',
      ttlMs: ctx.config.tokenTtlMs,
      replaceSameName: true,
    })
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
