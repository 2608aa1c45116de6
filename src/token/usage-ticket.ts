import { createHmac } from 'node:crypto'
import { constantTimeEqual } from '../macaroon/crypto.js'
import type { KeyRing } from './keyring.js'

const DOMAIN = 'crumb usage ticket v2\0'

/** How long a usage ticket is good for: verifiers get a fresh one with every verification. */
export const USAGE_TICKET_TTL_MS = 60 * 60_000

/** Whole minutes, so a verifier sees the same ticket for a minute rather than a new one per call. */
const STEP_MS = 60_000

const TICKET = /^([0-9a-z]{1,11})\.([A-Za-z0-9_-]{22})$/

function mac(secret: Uint8Array, tokenId: string, until: string): string {
  return createHmac('sha256', secret)
    .update(DOMAIN)
    .update(tokenId)
    .update('\0')
    .update(until)
    .digest()
    .subarray(0, 16)
    .toString('base64url')
}

/**
 * Proof that a verifier has seen a token of a key lately: `<until>.<HMAC(ring[kid], token id, until)>`,
 * good until `until` (about an hour after `now`). Holders of the key ring (the service, local
 * verifiers) compute it; remote verifiers get it from `POST /v1/verify`. `POST /v1/usage` needs it
 * to update another user's key, so knowing a token id (which anyone holding a token can read) is not
 * enough to forge "last used", and a ticket seen once does not keep a key looking used for ever.
 * Undefined for unknown or retired kids.
 *
 * @example
 * usageTicket(ring, claims.kid, claims.tokenId) // "m4x1c0.q3B…"
 */
export function usageTicket(
  ring: KeyRing,
  kid: string,
  tokenId: string,
  now: Date = new Date(),
): string | undefined {
  const key = ring.keys.get(kid)
  if (key === undefined || key.retiredAt !== undefined) return undefined
  const until = (Math.ceil((now.getTime() + USAGE_TICKET_TTL_MS) / STEP_MS) * STEP_MS).toString(36)
  return `${until}.${mac(key.secret, tokenId, until)}`
}

/**
 * Is `ticket` a usage ticket of `tokenId` under `ring[kid]` that has not run out at `now`?
 * Constant-time on the MAC; false for any malformed, expired or foreign ticket.
 *
 * @example
 * if (isUsageTicket(ring, key.kid, key.id, report.ticket, new Date())) accept(report)
 */
export function isUsageTicket(
  ring: KeyRing,
  kid: string,
  tokenId: string,
  ticket: string | undefined,
  now: Date = new Date(),
): boolean {
  const key = ring.keys.get(kid)
  const m = ticket === undefined ? null : TICKET.exec(ticket)
  if (key === undefined || key.retiredAt !== undefined || m === null) return false
  const [, until = '', given = ''] = m
  const untilMs = Number.parseInt(until, 36)
  if (!(untilMs > now.getTime()) || untilMs > now.getTime() + USAGE_TICKET_TTL_MS + STEP_MS) return false
  return constantTimeEqual(Buffer.from(mac(key.secret, tokenId, until)), Buffer.from(given))
}
