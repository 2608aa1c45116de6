import { randomBytes, randomInt } from 'node:crypto'
import { CrumbError, RateLimited } from '../errors.js'
import { type DeviceCodeRecord, hashDeviceCode, type KeyRecord, type Transaction } from '../store/index.js'
import { type AuthContext, requireUnrestricted } from './authenticate.js'
import { actorFor, type RequestMeta, type Service } from './context.js'
import { cliKeyName } from './credentials.js'
import { type MintedKey, mintKeyIn } from './keys.js'
import type { SlidingWindowLimiter } from './limiter.js'

/** Consonants only (RFC 8628 §6.1): no vowels to spell words, no 0/O or 1/I to confuse. */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'

/** `WDJB-MJHT`: 8 characters of {@link USER_CODE_ALPHABET} (≈34.6 bits). */
function newUserCode(): string {
  let s = ''
  for (let i = 0; i < 8; i++) s += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]
  return `${s.slice(0, 4)}-${s.slice(4)}`
}

/**
 * What a person typed, normalised: case and separators ignored (`wdjb mjht` → `WDJB-MJHT`).
 *
 * @example
 * normalizeUserCode('wdjbmjht') // 'WDJB-MJHT'
 */
export function normalizeUserCode(input: string): string {
  const s = input.toUpperCase().replace(/[^A-Z]/g, '')
  return s.length === 8 ? `${s.slice(0, 4)}-${s.slice(4)}` : s
}

/**
 * Refuses (`rate_limited`) a device authorization from an address that started too many.
 *
 * @example
 * checkDeviceStartLimit(svc, meta)
 */
export function checkDeviceStartLimit(svc: Pick<Service, 'limits'>, meta: RequestMeta): void {
  const wait = svc.limits.deviceStart.retryAfterMs(`ip:${meta.ip ?? '?'}`)
  if (wait > 0) throw new RateLimited('too many device authorizations from this address', wait / 1000)
}

/** A device authorization just started: the device code (shown once) and the stored request. */
export interface StartedDeviceAuthorization {
  readonly deviceCode: string
  readonly request: DeviceCodeRecord
}

/**
 * Starts a device authorization (RFC 8628) for a device name: a fresh device code (only its hash
 * is stored) and a user code to approve.
 *
 * @example
 * const { deviceCode, request } = await startDeviceAuthorization(svc, 'laptop', meta)
 */
export async function startDeviceAuthorization(
  svc: Service,
  device: string,
  meta: RequestMeta,
): Promise<StartedDeviceAuthorization> {
  checkDeviceStartLimit(svc, meta)
  svc.limits.deviceStart.hit(`ip:${meta.ip ?? '?'}`)
  const now = svc.clock.now()
  return svc.store.transaction(async (tx) => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const deviceCode = randomBytes(32).toString('base64url')
      const request = await tx.deviceCodes.create({
        deviceCodeHash: hashDeviceCode(deviceCode),
        userCode: newUserCode(),
        deviceName: device,
        clientIp: meta.ip,
        clientUserAgent: meta.userAgent,
        createdAt: now,
        expiresAt: new Date(now.getTime() + svc.config.deviceCodeTtlMs),
        interval: svc.config.devicePollIntervalS,
      })
      if (request !== undefined) return { deviceCode, request }
    }
    throw new Error('could not allocate a unique user code')
  })
}

const expired = (): CrumbError =>
  new CrumbError('expired_token', 'the device code has expired or was used; start again')

/**
 * The device polls with its device code: `authorization_pending`, `slow_down`, `expired_token`,
 * `access_denied`, or — once approved — its key (`CLI login on <device>`, replacing the device's
 * earlier key). The code is consumed once: of concurrent polls, one gets the key.
 *
 * @example
 * const { token, key } = await pollDeviceAuthorization(svc, deviceCode, meta)
 */
export async function pollDeviceAuthorization(
  svc: Service,
  deviceCode: string,
  meta: RequestMeta,
): Promise<MintedKey> {
  const hash = hashDeviceCode(deviceCode)
  // polls are recorded even when the answer is an error, so the outcome is returned, not thrown
  const outcome = await svc.store.transaction(
    async (tx): Promise<{ error: CrumbError } | { minted: MintedKey }> => {
      const rec = await tx.deviceCodes.findByDeviceCodeHash(hash)
      const now = svc.clock.now()
      if (rec === undefined || rec.status === 'consumed' || rec.expiresAt <= now.toISOString()) {
        return { error: expired() }
      }
      if (
        rec.lastPolledAt !== null &&
        now.getTime() - new Date(rec.lastPolledAt).getTime() < rec.interval * 1000
      ) {
        await tx.deviceCodes.markPolled(hash, now, rec.interval + 5)
        return {
          error: new CrumbError(
            'slow_down',
            `polling too fast; wait ${rec.interval + 5} seconds between polls`,
          ),
        }
      }
      await tx.deviceCodes.markPolled(hash, now)
      if (rec.status === 'pending') {
        return { error: new CrumbError('authorization_pending', 'waiting for the user to approve') }
      }
      const user = rec.userId === null ? undefined : await tx.users.get(rec.userId)
      if (rec.status === 'denied' || user === undefined) {
        return { error: new CrumbError('access_denied', 'the user denied this device') }
      }
      return { minted: await collect(svc, tx, hash, rec, user, meta, now) }
    },
  )
  if ('error' in outcome) throw outcome.error
  return outcome.minted
}

/** Mints the approved device's key and consumes the code; a lost race rolls the key back. */
async function collect(
  svc: Service,
  tx: Transaction,
  hash: string,
  rec: DeviceCodeRecord,
  user: AuthContext['user'],
  meta: RequestMeta,
  now: Date,
): Promise<MintedKey> {
  const minted = await mintKeyIn(svc, tx, {
    user,
    name: cliKeyName(rec.deviceName),
    source: 'cli-login',
    ttlMs: svc.config.tokenTtlMs,
    replaceSameName: true,
    who: actorFor(user, meta),
    alsoAudit: ['login'],
  })
  if (!(await tx.deviceCodes.consume(hash, minted.key.id, now))) throw expired()
  return minted
}

/**
 * A pending, unexpired request by user code, or `not_found`. Unknown codes count against the
 * caller: after `loginLimit` misses per window the answer is `rate_limited`, so a signed-in user
 * cannot enumerate other people's pending codes.
 *
 * @example
 * const request = await pendingDeviceRequest(svc, 'WDJB-MJHT', user.id)
 */
export async function pendingDeviceRequest(
  svc: Pick<Service, 'store' | 'clock' | 'limits'>,
  userCode: string,
  userId: string,
  limiter: SlidingWindowLimiter = svc.limits.deviceCode,
): Promise<DeviceCodeRecord> {
  const limitKey = `user:${userId}`
  const wait = limiter.retryAfterMs(limitKey)
  if (wait > 0) throw new RateLimited('too many unknown device codes entered; try again later', wait / 1000)
  const rec = await svc.store.deviceCodes.findByUserCode(normalizeUserCode(userCode))
  if (rec === undefined || rec.status !== 'pending' || rec.expiresAt <= svc.clock.now().toISOString()) {
    limiter.hit(limitKey)
    throw new CrumbError('not_found', 'no pending device request with this code')
  }
  return rec
}

/** What approving a device request would replace, and whether the request comes from where it was last used. */
export interface DeviceReplacement {
  /** The caller's active key named `CLI login on <device>`, which approving revokes as `replaced`. */
  readonly replaces: KeyRecord | undefined
  /** Whether the request comes from the address that key was last used from (null: nothing to compare). */
  readonly sameAddress: boolean | null
}

/**
 * What approving `rec` would replace for `userId` (#15 item 10): a device that merely chose that
 * name would take the key's place, so the approval page names it.
 *
 * @example
 * const { replaces, sameAddress } = await deviceReplacement(svc, rec, user.id)
 */
export async function deviceReplacement(
  svc: Pick<Service, 'store' | 'clock'>,
  rec: DeviceCodeRecord,
  userId: string,
): Promise<DeviceReplacement> {
  const key = await svc.store.keys.findActiveByName(userId, cliKeyName(rec.deviceName), svc.clock.now())
  if (key === undefined) return { replaces: undefined, sameAddress: null }
  const sameAddress =
    key.lastUsedIp === null || rec.clientIp === null ? null : key.lastUsedIp === rec.clientIp
  return { replaces: key, sameAddress }
}

/**
 * The signed-in user approves (needs an unrestricted key) or denies a pending request.
 *
 * @example
 * const request = await decideDeviceRequest(svc, auth, 'WDJB-MJHT', true)
 */
export async function decideDeviceRequest(
  svc: Service,
  caller: AuthContext,
  userCode: string,
  approve: boolean,
): Promise<DeviceCodeRecord> {
  if (approve) requireUnrestricted(caller)
  const rec = await pendingDeviceRequest(svc, userCode, caller.user.id)
  const now = svc.clock.now()
  return svc.store.transaction(async (tx) => {
    const decided = approve
      ? (await tx.deviceCodes.approve(rec.userCode, caller.user.id, now)) !== undefined
      : await tx.deviceCodes.deny(rec.userCode, caller.user.id, now)
    if (!decided) throw new CrumbError('not_found', 'no pending device request with this code')
    return (await tx.deviceCodes.findByUserCode(rec.userCode)) ?? rec
  })
}
