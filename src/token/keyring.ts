import { randomBytes } from 'node:crypto'
import * as z from 'zod'
import { CrumbError } from '../errors.js'
import { hmac } from '../macaroon/crypto.js'
import { KID } from './ids.js'

/** One secret of the ring. Retired keys no longer verify. */
export interface RingKey {
  readonly kid: string
  readonly secret: Uint8Array
  readonly createdAt: string
  readonly retiredAt?: string
}

/** `kid -> 32-byte secret`, one of them primary (the one new tokens are minted with). */
export interface KeyRing {
  readonly primary: string
  readonly keys: ReadonlyMap<string, RingKey>
}

const secretSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'secret must be 32 bytes, base64url')
  .transform((s) => new Uint8Array(Buffer.from(s, 'base64url')))

/** The key ring file / environment JSON: `{primary, keys:[{kid, secret, created_at, retired_at?}]}`. */
export const keyRingFileSchema = z
  .object({
    primary: z.string().regex(KID),
    keys: z
      .array(
        z.object({
          kid: z.string().regex(KID),
          secret: secretSchema,
          created_at: z.string(),
          retired_at: z.string().optional(),
        }),
      )
      .min(1),
  })
  .refine((r) => r.keys.some((k) => k.kid === r.primary && k.retired_at === undefined), {
    message: 'primary must name an active key',
  })

/**
 * Reads a key ring from its JSON form. Throws a CrumbError (`validation_failed`) that never
 * includes the secrets.
 *
 * @example
 * const ring = parseKeyRing(JSON.parse(fs.readFileSync(path, 'utf8')))
 */
export function parseKeyRing(json: unknown): KeyRing {
  const parsed = keyRingFileSchema.safeParse(json)
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')
    throw new CrumbError('validation_failed', `invalid key ring (${where})`)
  }
  const keys = new Map<string, RingKey>()
  for (const k of parsed.data.keys) {
    if (keys.has(k.kid))
      throw new CrumbError('validation_failed', `invalid key ring (duplicate kid ${k.kid})`)
    keys.set(k.kid, {
      kid: k.kid,
      secret: k.secret,
      createdAt: k.created_at,
      ...(k.retired_at === undefined ? {} : { retiredAt: k.retired_at }),
    })
  }
  return { primary: parsed.data.primary, keys }
}

/** The JSON form of a ring (contains secrets: write it with mode 0600). */
export function serializeKeyRing(ring: KeyRing): unknown {
  return {
    primary: ring.primary,
    keys: [...ring.keys.values()].map((k) => ({
      kid: k.kid,
      secret: Buffer.from(k.secret).toString('base64url'),
      created_at: k.createdAt,
      ...(k.retiredAt === undefined ? {} : { retired_at: k.retiredAt }),
    })),
  }
}

function newKid(): string {
  return `k${randomBytes(6).toString('base64url')}`
}

/**
 * A new ring with one fresh 32-byte secret.
 *
 * @example
 * const ring = generateKeyRing()
 */
export function generateKeyRing(now: Date = new Date()): KeyRing {
  const kid = newKid()
  return {
    primary: kid,
    keys: new Map([[kid, { kid, secret: new Uint8Array(randomBytes(32)), createdAt: now.toISOString() }]]),
  }
}

/**
 * Rotation: adds a fresh primary; earlier kids keep verifying until retired.
 *
 * @example
 * const next = rotateKeyRing(ring)
 */
export function rotateKeyRing(ring: KeyRing, now: Date = new Date()): KeyRing {
  const kid = newKid()
  const keys = new Map(ring.keys)
  keys.set(kid, { kid, secret: new Uint8Array(randomBytes(32)), createdAt: now.toISOString() })
  return { primary: kid, keys }
}

/**
 * Retires a kid: tokens minted under it stop verifying.
 *
 * @example
 * const next = retireKey(ring, 'kOld')
 */
export function retireKey(ring: KeyRing, kid: string, now: Date = new Date()): KeyRing {
  const key = ring.keys.get(kid)
  if (key === undefined) throw new CrumbError('not_found', `no key ${kid}`)
  if (kid === ring.primary) throw new CrumbError('validation_failed', 'cannot retire the primary key')
  const keys = new Map(ring.keys)
  keys.set(kid, { ...key, retiredAt: now.toISOString() })
  return { primary: ring.primary, keys }
}

/**
 * The root key of a token: HMAC-SHA256(ring[kid], identifier). Derived, never stored.
 * Unknown and retired kids fail closed with `invalid_token`.
 */
export function rootKeyFor(ring: KeyRing, kid: string, identifier: Uint8Array): Uint8Array {
  const key = ring.keys.get(kid)
  if (key === undefined || key.retiredAt !== undefined)
    throw new CrumbError('invalid_token', 'unknown key id')
  return hmac(key.secret, identifier)
}
