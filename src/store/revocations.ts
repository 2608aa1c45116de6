import type { Instant } from './time.js'

/** What `RevocationsPort.add` takes. */
export interface NewRevocation {
  tokenId: string
  /** Omit (or pass null/'') to revoke the whole root token. */
  revocationId?: string | null | undefined
  expiresAt: Instant
  /** Default: the clock. */
  createdAt?: Instant | undefined
}
