import { CrumbError } from '../../errors.js'
import type { UsersPort } from '../port.js'
import { toIso } from '../time.js'
import type { UserRecord } from '../users.js'
import { isoOf, type Queryable } from './queryable.js'

interface UserRow {
  id: string
  email: string
  password_hash: string
  created_at: Date
}

function toUser(r: UserRow): UserRecord {
  return { id: r.id, email: r.email, passwordHash: r.password_hash, createdAt: isoOf(r.created_at) }
}

/**
 * The `users` repository on PostgreSQL; emails compare case-insensitively (a unique index on
 * `lower(email)`), as SQLite's `COLLATE NOCASE` does.
 *
 * @example
 * const users = postgresUsers(pool)
 * await users.getByEmail('A@example.com')
 */
export function postgresUsers(q: Queryable): UsersPort {
  return {
    async insert(user) {
      const createdAt = toIso(user.createdAt)
      // ON CONFLICT rather than catching the unique violation: inside a transaction a failed
      // statement would abort the whole transaction, where SQLite lets it continue
      const { rowCount } = await q.query(
        `INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING`,
        [user.id, user.email, user.passwordHash, createdAt],
      )
      if (rowCount !== 1) throw new CrumbError('conflict', 'a user with this email exists')
      return { id: user.id, email: user.email, passwordHash: user.passwordHash, createdAt }
    },
    async get(id) {
      const { rows } = await q.query<UserRow>('SELECT * FROM users WHERE id = $1', [id])
      return rows[0] && toUser(rows[0])
    },
    async getByEmail(email) {
      const { rows } = await q.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [email])
      return rows[0] && toUser(rows[0])
    },
    async setPasswordHash(id, passwordHash) {
      const { rowCount } = await q.query('UPDATE users SET password_hash = $1 WHERE id = $2', [
        passwordHash,
        id,
      ])
      return rowCount === 1
    },
  }
}
