import type { Instant } from './time.js'

/** A user account. */
export interface UserRecord {
  /** `usr_...` */
  id: string
  /** As registered; lookups ignore case. */
  email: string
  /** scrypt hash string (produced outside the store). */
  passwordHash: string
  createdAt: string
}

/** What `UsersPort.insert` takes. */
export interface NewUser {
  id: string
  email: string
  passwordHash: string
  createdAt: Instant
}
