import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
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
  const d = mkdtempSync(join(tmpdir(), 'crumb-hint-'))
  dirs.push(d)
  return d
}

describe('hints of keys minted before the token-tail rule', () => {
  it('are marked sig… so nobody looks for them at the end of a token — #18 item 3', () => {
    const onlyFirst = temp()
    copyFileSync(join(migrationsDir(), '001_init.sql'), join(onlyFirst, '001_init.sql'))
    const db = openDatabase(join(temp(), 'crumb.db'), { skipMigrations: true })
    try {
      migrate(db, { dir: onlyFirst })
      db.prepare("INSERT INTO users VALUES ('usr_a', 'a@example.com', 'x', '2026-01-01T00:00:00Z')").run()
      db.prepare(
        `INSERT INTO keys (id, user_id, name, hint, source, kid, created_at, expires_at)
         VALUES ('tok_a', 'usr_a', 'ci', 'crumb_…46a1', 'api', 'k1', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')`,
      ).run()
      migrate(db)
      expect(db.prepare("SELECT hint FROM keys WHERE id = 'tok_a'").pluck().get()).toBe('sig…46a1')
    } finally {
      db.close()
    }
  })
})
