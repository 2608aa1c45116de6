import { createHash } from 'node:crypto'
import type BetterSqlite3 from 'better-sqlite3'
import { isUniqueViolation } from './sqlite-errors.js'
import { type Instant, toIso } from './time.js'

/** Life of a device authorization request (RFC 8628). */
export type DeviceCodeStatus = 'pending' | 'approved' | 'denied' | 'consumed'

/** A device authorization request. The device code itself is never stored, only its SHA-256. */
export interface DeviceCodeRecord {
  /** Hex SHA-256 of the device code (see {@link hashDeviceCode}). */
  deviceCodeHash: string
  /** What the user types on the verification page; looked up case-insensitively. */
  userCode: string
  /** Device name the CLI sent; becomes the key name. */
  deviceName: string
  clientIp: string | null
  clientUserAgent: string | null
  createdAt: string
  expiresAt: string
  /** Minimum polling interval in seconds (raised on `slow_down`). */
  interval: number
  lastPolledAt: string | null
  status: DeviceCodeStatus
  /** The user who approved or denied. */
  userId: string | null
  /** When the user approved or denied. */
  decidedAt: string | null
  /** The key minted when the device collected its token. */
  keyId: string | null
}

/** What {@link DeviceCodesRepo.create} takes. */
export interface NewDeviceCode {
  deviceCodeHash: string
  userCode: string
  deviceName: string
  clientIp?: string | null | undefined
  clientUserAgent?: string | null | undefined
  createdAt: Instant
  expiresAt: Instant
  /** Polling interval in seconds (RFC 8628 default 5). */
  interval: number
}

/** Typed access to the `device_codes` table. State changes are conditional, so races resolve once. */
export interface DeviceCodesRepo {
  /**
   * Store a new pending request. Returns undefined when the user code (or device code hash) is
   * already taken, so the caller can draw another and retry.
   *
   * @example
   * store.deviceCodes.create({ deviceCodeHash: hashDeviceCode(code), userCode: 'WDJB-MJHT',
   *   deviceName: 'laptop', createdAt: now, expiresAt: in15min, interval: 5 })
   */
  create(code: NewDeviceCode): DeviceCodeRecord | undefined
  /** The request with this user code (case-insensitive). @example store.deviceCodes.findByUserCode('WDJB-MJHT') */
  findByUserCode(userCode: string): DeviceCodeRecord | undefined
  /**
   * The request with this device code hash.
   *
   * @example
   * store.deviceCodes.findByDeviceCodeHash(hashDeviceCode(body.device_code))
   */
  findByDeviceCodeHash(deviceCodeHash: string): DeviceCodeRecord | undefined
  /**
   * Record a poll at `at`; pass `interval` to raise the polling interval (RFC 8628 `slow_down`).
   *
   * @example
   * store.deviceCodes.markPolled(hash, now, rec.interval + 5)
   */
  markPolled(deviceCodeHash: string, at: Instant, interval?: number): boolean
  /**
   * Approve a pending, unexpired request for `userId`; returns the updated record, or undefined
   * when there is no such pending unexpired request.
   *
   * @example
   * const rec = store.deviceCodes.approve('WDJB-MJHT', user.id, now)
   */
  approve(userCode: string, userId: string, at?: Instant): DeviceCodeRecord | undefined
  /** Deny a pending, unexpired request; false when none. @example store.deviceCodes.deny('WDJB-MJHT', user.id) */
  deny(userCode: string, userId?: string | null, at?: Instant): boolean
  /**
   * Mark an approved, unexpired request consumed, recording the key minted for it. True only for the
   * one call that consumed it: insert the key and consume in one `store.transaction`, rolling back
   * when this returns false.
   *
   * @example
   * store.transaction(() => { store.keys.insert(key); if (!store.deviceCodes.consume(hash, key.id)) throw gone })
   */
  consume(deviceCodeHash: string, keyId: string, at?: Instant): boolean
  /** Delete requests that expired at or before `now`; returns how many. @example store.deviceCodes.prune(now) */
  prune(now: Instant): number
}

interface DeviceCodeRow {
  device_code_hash: string
  user_code: string
  device_name: string
  client_ip: string | null
  client_user_agent: string | null
  created_at: string
  expires_at: string
  interval_seconds: number
  last_polled_at: string | null
  status: DeviceCodeStatus
  user_id: string | null
  decided_at: string | null
  key_id: string | null
}

/**
 * The hex SHA-256 of a device code: what the store keeps instead of the code.
 *
 * @example
 * store.deviceCodes.findByDeviceCodeHash(hashDeviceCode(deviceCode))
 */
export function hashDeviceCode(deviceCode: string): string {
  return createHash('sha256').update(deviceCode, 'utf8').digest('hex')
}

function toDeviceCode(r: DeviceCodeRow): DeviceCodeRecord {
  return {
    deviceCodeHash: r.device_code_hash,
    userCode: r.user_code,
    deviceName: r.device_name,
    clientIp: r.client_ip,
    clientUserAgent: r.client_user_agent,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    interval: r.interval_seconds,
    lastPolledAt: r.last_polled_at,
    status: r.status,
    userId: r.user_id,
    decidedAt: r.decided_at,
    keyId: r.key_id,
  }
}

const nowIso = (at: Instant | undefined): string => toIso(at ?? new Date())

/**
 * Prepare the `device_codes` statements once for `db`.
 *
 * @example
 * const deviceCodes = createDeviceCodesRepo(db)
 */
export function createDeviceCodesRepo(db: BetterSqlite3.Database): DeviceCodesRepo {
  const insertStmt = db.prepare<
    Pick<
      DeviceCodeRecord,
      'userCode' | 'deviceName' | 'clientIp' | 'clientUserAgent' | 'createdAt' | 'expiresAt' | 'interval'
    > & { hash: string },
    DeviceCodeRow
  >(
    `INSERT INTO device_codes (device_code_hash, user_code, device_name, client_ip, client_user_agent,
                               created_at, expires_at, interval_seconds)
     VALUES (@hash, @userCode, @deviceName, @clientIp, @clientUserAgent, @createdAt, @expiresAt, @interval)
     RETURNING *`,
  )
  const byUserCode = db.prepare<[string], DeviceCodeRow>('SELECT * FROM device_codes WHERE user_code = ?')
  const byHash = db.prepare<[string], DeviceCodeRow>('SELECT * FROM device_codes WHERE device_code_hash = ?')
  const pollStmt = db.prepare<{ hash: string; at: string; interval: number | null }>(
    `UPDATE device_codes SET last_polled_at = @at, interval_seconds = COALESCE(@interval, interval_seconds)
     WHERE device_code_hash = @hash`,
  )
  const approveStmt = db.prepare<{ userCode: string; userId: string; at: string }, DeviceCodeRow>(
    `UPDATE device_codes SET status = 'approved', user_id = @userId, decided_at = @at
     WHERE user_code = @userCode AND status = 'pending' AND expires_at > @at
     RETURNING *`,
  )
  const denyStmt = db.prepare<{ userCode: string; userId: string | null; at: string }>(
    `UPDATE device_codes SET status = 'denied', user_id = COALESCE(@userId, user_id), decided_at = @at
     WHERE user_code = @userCode AND status = 'pending' AND expires_at > @at`,
  )
  const consumeStmt = db.prepare<{ hash: string; keyId: string; at: string }>(
    `UPDATE device_codes SET status = 'consumed', key_id = @keyId
     WHERE device_code_hash = @hash AND status = 'approved' AND expires_at > @at`,
  )
  const pruneStmt = db.prepare<[string]>('DELETE FROM device_codes WHERE expires_at <= ?')

  return {
    create(code) {
      try {
        const row = insertStmt.get({
          hash: code.deviceCodeHash,
          userCode: code.userCode,
          deviceName: code.deviceName,
          clientIp: code.clientIp ?? null,
          clientUserAgent: code.clientUserAgent ?? null,
          createdAt: toIso(code.createdAt),
          expiresAt: toIso(code.expiresAt),
          interval: code.interval,
        })
        return row && toDeviceCode(row)
      } catch (e) {
        if (isUniqueViolation(e)) return undefined
        throw e
      }
    },
    findByUserCode(userCode) {
      const r = byUserCode.get(userCode)
      return r && toDeviceCode(r)
    },
    findByDeviceCodeHash(deviceCodeHash) {
      const r = byHash.get(deviceCodeHash)
      return r && toDeviceCode(r)
    },
    markPolled(deviceCodeHash, at, interval) {
      return pollStmt.run({ hash: deviceCodeHash, at: toIso(at), interval: interval ?? null }).changes > 0
    },
    approve(userCode, userId, at) {
      const r = approveStmt.get({ userCode, userId, at: nowIso(at) })
      return r && toDeviceCode(r)
    },
    deny(userCode, userId, at) {
      return denyStmt.run({ userCode, userId: userId ?? null, at: nowIso(at) }).changes > 0
    },
    consume(deviceCodeHash, keyId, at) {
      return consumeStmt.run({ hash: deviceCodeHash, keyId, at: nowIso(at) }).changes > 0
    },
    prune(now) {
      return pruneStmt.run(toIso(now)).changes
    },
  }
}
