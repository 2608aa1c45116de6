import { CrumbError, RateLimited } from '../errors.js'
import type { UserRecord } from '../store/index.js'
import { newUserId } from '../token/index.js'
import { actorFor, type RequestMeta, type Service } from './context.js'
import { type MintedKey, type MintKeyOptions, mintKeyIn } from './keys.js'
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.js'

/**
 * The key name of a CLI login on a device: one key per (user, name).
 *
 * @example
 * cliKeyName('laptop') // 'CLI login on laptop'
 */
export function cliKeyName(device: string): string {
  return `CLI login on ${device}`
}

const ipKey = (meta: RequestMeta): string => `ip:${meta.ip ?? '?'}`

/**
 * Refuses (`rate_limited`) a registration from an address that registered too often.
 *
 * @example
 * checkRegistrationLimit(svc, meta)
 */
export function checkRegistrationLimit(svc: Pick<Service, 'limits'>, meta: RequestMeta): void {
  const wait = svc.limits.register.retryAfterMs(ipKey(meta))
  if (wait > 0) throw new RateLimited('too many registrations from this address', wait / 1000)
}

/**
 * Registers a user (`conflict` when the email is taken) with their first key (source `register`).
 *
 * @example
 * const { user, minted } = await register(svc, { email, password }, meta)
 */
export async function register(
  svc: Service,
  input: { readonly email: string; readonly password: string },
  meta: RequestMeta,
): Promise<{ user: UserRecord; minted: MintedKey }> {
  checkRegistrationLimit(svc, meta)
  svc.limits.register.hit(ipKey(meta))
  const passwordHash = await hashPassword(input.password)
  return svc.store.transaction(async (tx) => {
    const user = await tx.users.insert({
      id: newUserId(),
      email: input.email,
      passwordHash,
      createdAt: svc.clock.now(),
    })
    const minted = await mintKeyIn(svc, tx, {
      user,
      name: 'Registration key',
      source: 'register',
      ttlMs: svc.config.tokenTtlMs,
      who: actorFor(user, meta),
    })
    return { user, minted }
  })
}

/**
 * Checks email + password under the login rate limits (failures per email and per IP); a wrong
 * pair is `unauthorized`, a locked-out client `rate_limited`.
 *
 * @example
 * const user = await checkCredentials(svc, email, password, meta)
 */
export async function checkCredentials(
  svc: Service,
  email: string,
  password: string,
  meta: RequestMeta,
): Promise<UserRecord> {
  const emailKey = `email:${email.toLowerCase()}`
  const addressKey = ipKey(meta)
  const wait = Math.max(
    svc.limits.loginEmail.retryAfterMs(emailKey),
    svc.limits.loginIp.retryAfterMs(addressKey),
  )
  if (wait > 0) throw new RateLimited('too many failed login attempts; try again later', wait / 1000)
  // Count the attempt as a failure before the (slow, awaited) password check: checking the
  // limit and counting only afterwards let any number of concurrent guesses pass the check.
  svc.limits.loginEmail.hit(emailKey)
  svc.limits.loginIp.hit(addressKey)
  const user = await svc.store.users.getByEmail(email)
  let ok = false
  if (user === undefined) await burnPasswordCheck(password)
  else ok = await verifyPassword(password, user.passwordHash)
  if (!ok || user === undefined) throw new CrumbError('unauthorized', 'wrong email or password')
  svc.limits.loginEmail.reset(emailKey)
  svc.limits.loginIp.release(addressKey)
  return user
}

/**
 * Checks the credentials (see {@link checkCredentials}) and mints the described key for the user,
 * auditing `login` too.
 *
 * @example
 * const minted = await passwordLogin(svc, { email, password }, { name: cliKeyName('laptop'), source: 'cli-login', ttlMs, replaceSameName: true }, meta)
 */
export async function passwordLogin(
  svc: Service,
  credentials: { readonly email: string; readonly password: string },
  key: Pick<MintKeyOptions, 'name' | 'source' | 'ttlMs' | 'replaceSameName'>,
  meta: RequestMeta,
): Promise<MintedKey> {
  const user = await checkCredentials(svc, credentials.email, credentials.password, meta)
  return svc.store.transaction((tx) =>
    mintKeyIn(svc, tx, { ...key, user, who: actorFor(user, meta), alsoAudit: ['login'] }),
  )
}

/**
 * `crumb login` with a password: mints `CLI login on <device>` (source `cli-login`), revoking an
 * earlier active key of that name as `replaced`.
 *
 * @example
 * const { token, key } = await cliLogin(svc, { email, password, device: 'laptop' }, meta)
 */
export function cliLogin(
  svc: Service,
  input: { readonly email: string; readonly password: string; readonly device: string },
  meta: RequestMeta,
): Promise<MintedKey> {
  return passwordLogin(
    svc,
    input,
    {
      name: cliKeyName(input.device),
      source: 'cli-login',
      ttlMs: svc.config.tokenTtlMs,
      replaceSameName: true,
    },
    meta,
  )
}
