import { createHash } from 'node:crypto'
import type { Instant } from './time.js'

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

/** What `DeviceCodesPort.create` takes. */
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

/**
 * The hex SHA-256 of a device code: what the store keeps instead of the code.
 *
 * @example
 * store.deviceCodes.findByDeviceCodeHash(hashDeviceCode(deviceCode))
 */
export function hashDeviceCode(deviceCode: string): string {
  return createHash('sha256').update(deviceCode, 'utf8').digest('hex')
}
