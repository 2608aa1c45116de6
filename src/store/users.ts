import type BetterSqlite3 from 'better-sqlite3'
import { CrumbError } from '../errors.js'
import { isUniqueViolation } from './sqlite-errors.js'
import { type Instant, toIso } from './time.js'

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

/** What {@link UsersRepo.insert} takes. */
export interface NewUser {
  id: string
  email: string
  passwordHash: string
  createdAt: Instant
}

/** Typed access to the `users` table. */
export interface UsersRepo {
  /**
   * Insert a user. Throws `CrumbError('conflict')` when the email (case-insensitively) is taken.
   *
   * @example
   * store.users.insert({ id: 'usr_1', email: 'a@example.com', passwordHash, createdAt: new Date() })
   */
  insert(user: NewUser): UserRecord
  /** The user with this id, if any. @example store.users.get('usr_1') */
  get(id: string): UserRecord | undefined
  /** The user with this email, compared case-insensitively. @example store.users.getByEmail('A@example.com') */
  getByEmail(email: string): UserRecord | undefined
  /**
   * Replace a user's password hash (a stronger hash after a successful login); false when no such user.
   *
   * @example
   * store.users.setPasswordHash('usr_1', await hashPassword(password))
   */
  setPasswordHash(id: string, passwordHash: string): boolean
}

interface UserRow {
  id: string
  email: string
  password_hash: string
  created_at: string
}

function toUser(r: UserRow): UserRecord {
  return { id: r.id, email: r.email, passwordHash: r.password_hash, createdAt: r.created_at }
}

/**
 * Prepare the `users` statements once for `db`.
 *
 * @example
 * const users = createUsersRepo(db)
 */
export function createUsersRepo(db: BetterSqlite3.Database): UsersRepo {
  const insertStmt = db.prepare<[string, string, string, string]>(
    'INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)',
  )
  const byId = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?')
  const byEmail = db.prepare<[string], UserRow>('SELECT * FROM users WHERE email = ?')
  const setHash = db.prepare<[string, string]>('UPDATE users SET password_hash = ? WHERE id = ?')

  return {
    insert(user) {
      const rec: UserRecord = {
        id: user.id,
        email: user.email,
        passwordHash: user.passwordHash,
        createdAt: toIso(user.createdAt),
      }
      try {
        insertStmt.run(rec.id, rec.email, rec.passwordHash, rec.createdAt)
      } catch (e) {
        if (isUniqueViolation(e))
          throw new CrumbError('conflict', 'a user with this email exists', { cause: e })
        throw e
      }
      return rec
    },
    get(id) {
      const r = byId.get(id)
      return r && toUser(r)
    },
    getByEmail(email) {
      const r = byEmail.get(email)
      return r && toUser(r)
    },
    setPasswordHash(id, passwordHash) {
      return setHash.run(passwordHash, id).changes > 0
    },
  }
}
