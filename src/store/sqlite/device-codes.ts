import type BetterSqlite3 from 'better-sqlite3'
import type { DeviceCodeRecord, DeviceCodeStatus } from '../device-codes.js'
import type { DeviceCodesPort } from '../port.js'
import { type Instant, toIso } from '../time.js'
import { isUniqueViolation } from './errors.js'
import type { Sync } from './sync.js'

/** The synchronous form of `DeviceCodesPort` over one better-sqlite3 connection. */
export type DeviceCodesRepo = Sync<DeviceCodesPort>

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
