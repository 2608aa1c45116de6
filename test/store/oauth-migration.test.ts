import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/store/sqlite/database.js'
import { migrate, migrationsDir } from '../../src/store/sqlite/migrate.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'crumb-oauth-mig-'))
  dirs.push(d)
  return d
}

describe('the SQLite migration that widens key sources for OAuth grants (#19)', () => {
  it('rebuilds keys without losing a row or a reference to one, and admits source oauth', () => {
    const before = temp()
    const oauth = readdirSync(migrationsDir()).find((f) => f.endsWith('_oauth.sql'))
    for (const f of readdirSync(migrationsDir())) {
      if (f < (oauth ?? '')) copyFileSync(join(migrationsDir(), f), join(before, f))
    }
    const db = openDatabase(join(temp(), 'crumb.db'), { skipMigrations: true })
    try {
      migrate(db, { dir: before })
      const insertKey = db.prepare(
        `INSERT INTO keys (id, user_id, name, hint, source, kid, created_at, expires_at, replaced_by)
         VALUES (?, 'usr_a', ?, 'crumb_…46a1', 'cli-login', 'k1', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', ?)`,
      )
      db.prepare("INSERT INTO users VALUES ('usr_a', 'a@example.com', 'x', '2026-01-01T00:00:00Z')").run()
      insertKey.run('tok_new', 'laptop', null)
      insertKey.run('tok_old', 'laptop', 'tok_new')
      db.prepare(
        `INSERT INTO device_codes (device_code_hash, user_code, device_name, created_at, expires_at, interval_seconds,
                                   status, user_id, key_id)
         VALUES ('h', 'BCDF-GHJK', 'laptop', '2026-01-01T00:00:00Z', '2026-01-01T00:10:00Z', 5, 'consumed', 'usr_a', 'tok_new')`,
      ).run()
      expect(() =>
        db
          .prepare(
            `INSERT INTO keys (id, user_id, name, hint, source, kid, created_at, expires_at)
             VALUES ('tok_o', 'usr_a', 'app', 'h', 'oauth', 'k1', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')`,
          )
          .run(),
      ).toThrow(/CHECK/)

      migrate(db)
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(db.prepare("SELECT replaced_by FROM keys WHERE id = 'tok_old'").pluck().get()).toBe('tok_new')
      expect(db.prepare("SELECT key_id FROM device_codes WHERE device_code_hash = 'h'").pluck().get()).toBe(
        'tok_new',
      )
      db.prepare(
        `INSERT INTO keys (id, user_id, name, hint, source, kid, created_at, expires_at)
         VALUES ('tok_o', 'usr_a', 'app', 'h', 'oauth', 'k1', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')`,
      ).run()
      // the rebuilt table still enforces its references
      expect(() =>
        db.prepare("UPDATE keys SET replaced_by = 'tok_nowhere' WHERE id = 'tok_o'").run(),
      ).toThrow(/FOREIGN KEY/)
      const indexes = db
        .prepare(
          "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'keys' AND sql IS NOT NULL",
        )
        .pluck()
        .all()
      expect(indexes).toHaveLength(6)
    } finally {
      db.close()
    }
  })
})
