import type BetterSqlite3 from 'better-sqlite3'
import { CrumbError } from '../../errors.js'
import type { UsersPort } from '../port.js'
import { toIso } from '../time.js'
import type { UserRecord } from '../users.js'
import { isUniqueViolation } from './errors.js'
import type { Sync } from './sync.js'

/** The synchronous form of `UsersPort` over one better-sqlite3 connection. */
export type UsersRepo = Sync<UsersPort>

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
