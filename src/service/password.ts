import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto'

/** scrypt's cost parameters: CPU/memory cost `n` (a power of two), block size `r`, parallelism `p`. */
export interface ScryptCost {
  readonly n: number
  readonly r: number
  readonly p: number
}

/**
 * OWASP's current recommendation for scrypt (Password Storage Cheat Sheet): N=2^17, r=8, p=1 —
 * 128 MiB and a few hundred milliseconds per hash. The default; tests lower it only through an
 * explicit option (`CRUMB_SCRYPT_N`).
 *
 * @example
 * await hashPassword(password, OWASP_SCRYPT)
 */
export const OWASP_SCRYPT: ScryptCost = { n: 2 ** 17, r: 8, p: 1 }

const KEY_LEN = 32
/** Enough for N=2^17 (128 * N * r = 128 MiB) with room; a stored hash asking for more fails to verify. */
const MAX_MEM = 256 * 1024 * 1024

function scrypt(password: string, salt: Buffer, cost: ScryptCost, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(
      password.normalize('NFC'),
      salt,
      len,
      { N: cost.n, r: cost.r, p: cost.p, maxmem: MAX_MEM },
      (err, key) => (err ? reject(err) : resolve(key)),
    )
  })
}

/**
 * Hashes a password with scrypt and a fresh 16-byte salt: `scrypt$N$r$p$salt$hash` (base64url).
 *
 * @example
 * const stored = await hashPassword('correct horse battery staple')
 */
export async function hashPassword(password: string, cost: ScryptCost = OWASP_SCRYPT): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(password, salt, cost, KEY_LEN)
  return `scrypt$${cost.n}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

interface Parsed {
  readonly cost: ScryptCost
  readonly salt: Buffer
  readonly hash: Buffer
}

function parse(stored: string): Parsed | undefined {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number]
  if (![n, r, p].every((x) => Number.isSafeInteger(x) && x > 0)) return undefined
  const hash = Buffer.from(parts[5] ?? '', 'base64url')
  if (hash.length < 16) return undefined
  return { cost: { n, r, p }, salt: Buffer.from(parts[4] ?? '', 'base64url'), hash }
}

/**
 * Checks a password against a stored hash in constant time. A malformed hash never matches.
 *
 * @example
 * if (!(await verifyPassword(body.password, user.passwordHash))) throw unauthorized
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored)
  if (parsed === undefined) return false
  let actual: Buffer
  try {
    actual = await scrypt(password, parsed.salt, parsed.cost, parsed.hash.length)
  } catch {
    return false // parameters beyond the memory cap
  }
  return timingSafeEqual(actual, parsed.hash)
}

/**
 * Whether a stored hash was made with a lower cost than `cost` (so the next successful login
 * should store a new one).
 *
 * @example
 * if (needsRehash(user.passwordHash, config.scrypt)) store.users.setPasswordHash(user.id, await hashPassword(pw, config.scrypt))
 */
export function needsRehash(stored: string, cost: ScryptCost): boolean {
  const parsed = parse(stored)
  return parsed === undefined || parsed.cost.n < cost.n || parsed.cost.r < cost.r || parsed.cost.p < cost.p
}

const dummies = new Map<string, Promise<string>>()

/**
 * Spends the time a real check would on an unknown email, so response time does not reveal
 * which emails have accounts.
 *
 * @example
 * if (user === undefined) { await burnPasswordCheck(password, config.scrypt); throw unauthorized }
 */
export async function burnPasswordCheck(password: string, cost: ScryptCost = OWASP_SCRYPT): Promise<void> {
  const key = `${cost.n}/${cost.r}/${cost.p}`
  let dummy = dummies.get(key)
  if (dummy === undefined) {
    dummy = hashPassword(randomBytes(16).toString('hex'), cost)
    dummies.set(key, dummy)
  }
  await verifyPassword(password, await dummy)
}
