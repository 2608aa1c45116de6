import { CrumbError, RateLimited } from '../errors.js'
import type { UserRecord } from '../store/index.js'
import { newUserId } from '../token/index.js'
import { actorFor, type RequestMeta, type Service } from './context.js'
import { type MintedKey, type MintKeyOptions, mintKeyIn } from './keys.js'
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from './password.js'

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
 * Registers a user (`conflict` when the email is taken) with their first key (source `register`),
 * named after the device when one is given (`CLI login on <device>`: the next login there replaces it).
 *
 * @example
 * const { user, minted } = await register(svc, { email, password, device: 'laptop' }, meta)
 */
export async function register(
  svc: Service,
  input: { readonly email: string; readonly password: string; readonly device?: string | undefined },
  meta: RequestMeta,
): Promise<{ user: UserRecord; minted: MintedKey }> {
  checkRegistrationLimit(svc, meta)
  svc.limits.register.hit(ipKey(meta))
  const passwordHash = await hashPassword(input.password, svc.config.scrypt)
  return svc.store.transaction(async (tx) => {
    const user = await tx.users.insert({
      id: newUserId(),
      email: input.email,
      passwordHash,
      createdAt: svc.clock.now(),
    })
    const minted = await mintKeyIn(svc, tx, {
      user,
      name: input.device === undefined ? 'Registration key' : cliKeyName(input.device),
      source: 'register',
      ttlMs: svc.config.tokenTtlMs,
      who: actorFor(user, meta),
    })
    return { user, minted }
  })
}

/**
 * Checks email + password under the login rate limits (failures per (email, IP) and per IP, and
 * a ten times larger budget per email across addresses); upgrades a hash made at a lower cost. A
 * wrong pair is `unauthorized`, a locked-out client `rate_limited`.
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
  const address = email.toLowerCase()
  const ip = meta.ip ?? '?'
  const emailKey = `email:${address}`
  const pairKey = `email-ip:${address}\n${ip}`
  const addressKey = `ip:${ip}`
  const { loginEmail, loginEmailIp, loginIp } = svc.limits
  // Failures lock out an address, and an (email, address) pair; the email alone only after ten
  // times as many (from many addresses): one attacker cannot lock the owner out from elsewhere.
  const wait = Math.max(
    loginEmailIp.retryAfterMs(pairKey),
    loginIp.retryAfterMs(addressKey),
    loginEmail.retryAfterMs(emailKey),
  )
  if (wait > 0) throw new RateLimited('too many failed login attempts; try again later', wait / 1000)
  // Count the attempt as a failure before the (slow, awaited) password check: checking the
  // limit and counting only afterwards let any number of concurrent guesses pass the check.
  loginEmailIp.hit(pairKey)
  loginIp.hit(addressKey)
  loginEmail.hit(emailKey)
  const user = await svc.store.users.getByEmail(email)
  let ok = false
  if (user === undefined) await burnPasswordCheck(password, svc.config.scrypt)
  else ok = await verifyPassword(password, user.passwordHash)
  if (!ok || user === undefined) throw new CrumbError('unauthorized', 'wrong email or password')
  loginEmailIp.reset(pairKey)
  loginIp.release(addressKey)
  loginEmail.release(emailKey)
  if (needsRehash(user.passwordHash, svc.config.scrypt)) {
    // a hash made under older, weaker parameters: store one at today's cost
    const stronger = await hashPassword(password, svc.config.scrypt)
    await svc.store.users.setPasswordHash(user.id, stronger)
  }
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
