import type { DeviceCodeRecord, DeviceCodeStatus } from '../device-codes.js'
import type { DeviceCodesPort } from '../port.js'
import { type Instant, toIso } from '../time.js'
import { isoOf, type Queryable } from './queryable.js'

interface DeviceCodeRow {
  device_code_hash: string
  user_code: string
  device_name: string
  client_ip: string | null
  client_user_agent: string | null
  created_at: Date
  expires_at: Date
  interval_seconds: number
  last_polled_at: Date | null
  status: DeviceCodeStatus
  user_id: string | null
  decided_at: Date | null
  key_id: string | null
}

function toDeviceCode(r: DeviceCodeRow): DeviceCodeRecord {
  return {
    deviceCodeHash: r.device_code_hash,
    userCode: r.user_code,
    deviceName: r.device_name,
    clientIp: r.client_ip,
    clientUserAgent: r.client_user_agent,
    createdAt: isoOf(r.created_at),
    expiresAt: isoOf(r.expires_at),
    interval: r.interval_seconds,
    lastPolledAt: isoOf(r.last_polled_at),
    status: r.status,
    userId: r.user_id,
    decidedAt: isoOf(r.decided_at),
    keyId: r.key_id,
  }
}

const nowIso = (at: Instant | undefined): string => toIso(at ?? new Date())

/**
 * RFC 8628 device authorization requests on PostgreSQL. Every state change is one conditional
 * UPDATE: when two instances race to approve or consume one code, the row lock makes the second
 * re-check the condition against the first one's result, so exactly one succeeds.
 *
 * @example
 * const codes = postgresDeviceCodes(client)
 * if (!(await codes.consume(hash, keyId, now))) throw gone
 */
export function postgresDeviceCodes(q: Queryable): DeviceCodesPort {
  const one = async (text: string, values: unknown[]): Promise<DeviceCodeRecord | undefined> => {
    const { rows } = await q.query<DeviceCodeRow>(text, values)
    return rows[0] && toDeviceCode(rows[0])
  }
  const changed = async (text: string, values: unknown[]): Promise<boolean> =>
    ((await q.query(text, values)).rowCount ?? 0) > 0

  return {
    create(code) {
      // ON CONFLICT: a taken code must not abort the caller's transaction (it draws another)
      return one(
        `INSERT INTO device_codes (device_code_hash, user_code, device_name, client_ip, client_user_agent,
                                   created_at, expires_at, interval_seconds)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT DO NOTHING RETURNING *`,
        [
          code.deviceCodeHash,
          code.userCode,
          code.deviceName,
          code.clientIp ?? null,
          code.clientUserAgent ?? null,
          toIso(code.createdAt),
          toIso(code.expiresAt),
          code.interval,
        ],
      )
    },
    findByUserCode(userCode) {
      return one('SELECT * FROM device_codes WHERE upper(user_code) = upper($1)', [userCode])
    },
    findByDeviceCodeHash(deviceCodeHash) {
      return one('SELECT * FROM device_codes WHERE device_code_hash = $1', [deviceCodeHash])
    },
    markPolled(deviceCodeHash, at, interval) {
      return changed(
        `UPDATE device_codes SET last_polled_at = $2, interval_seconds = COALESCE($3, interval_seconds)
         WHERE device_code_hash = $1`,
        [deviceCodeHash, toIso(at), interval ?? null],
      )
    },
    approve(userCode, userId, at) {
      return one(
        `UPDATE device_codes SET status = 'approved', user_id = $2, decided_at = $3
         WHERE upper(user_code) = upper($1) AND status = 'pending' AND expires_at > $3
         RETURNING *`,
        [userCode, userId, nowIso(at)],
      )
    },
    deny(userCode, userId, at) {
      return changed(
        `UPDATE device_codes SET status = 'denied', user_id = COALESCE($2, user_id), decided_at = $3
         WHERE upper(user_code) = upper($1) AND status = 'pending' AND expires_at > $3`,
        [userCode, userId ?? null, nowIso(at)],
      )
    },
    consume(deviceCodeHash, keyId, at) {
      return changed(
        `UPDATE device_codes SET status = 'consumed', key_id = $2
         WHERE device_code_hash = $1 AND status = 'approved' AND expires_at > $3`,
        [deviceCodeHash, keyId, nowIso(at)],
      )
    },
    async prune(now) {
      return (await q.query('DELETE FROM device_codes WHERE expires_at <= $1', [toIso(now)])).rowCount ?? 0
    },
  }
}
