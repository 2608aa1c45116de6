import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { migrate, migrationsDir, openDatabase } from '../../src/store/sqlite/index.js'
import { tempDir } from './helpers.js'

// #20: 003_workload_identity rebuilds keys, device_codes and audit_events (SQLite cannot widen a
// CHECK) without losing a row, a reference or the audit log's append-only triggers.

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

describe('migration 003 (#20)', () => {
  it('keeps every row and reference of a 001 database, and admits workload keys and exchanged events', () => {
    const t = tempDir()
    cleanups.push(t.cleanup)
    const only001 = join(t.dir, 'only-001')
    mkdirSync(only001)
    copyFileSync(join(migrationsDir(), '001_init.sql'), join(only001, '001_init.sql'))
    copyFileSync(
      join(migrationsDir(), '002_mark_signature_hints.sql'),
      join(only001, '002_mark_signature_hints.sql'),
    )
    const path = join(t.dir, 'crumb.db')
    const db = openDatabase(path, { migrationsDir: only001 })
    cleanups.unshift(() => db.open && db.close())
    db.exec(`
      INSERT INTO users VALUES ('usr_1', 'a@example.com', 'scrypt$x', '2026-01-01T00:00:00.000Z');
      INSERT INTO keys (id, user_id, name, hint, source, kid, created_at, expires_at)
        VALUES ('tok_1', 'usr_1', 'new', 'h', 'api', 'k1', 't', 't');
      INSERT INTO keys (id, user_id, name, hint, source, kid, created_at, expires_at, replaced_by)
        VALUES ('tok_0', 'usr_1', 'old', 'h', 'cli-login', 'k1', 't', 't', 'tok_1');
      INSERT INTO device_codes (device_code_hash, user_code, device_name, created_at, expires_at,
        interval_seconds, status, user_id, key_id) VALUES ('d', 'ABCD-EFGH', 'laptop', 't', 't', 5, 'consumed', 'usr_1', 'tok_1');
      INSERT INTO audit_events (at, event, actor) VALUES ('t', 'created', 'a'), ('t', 'login', 'a');
    `)
    expect(() =>
      db.exec(`INSERT INTO audit_events (at, event, actor) VALUES ('t', 'exchanged', 'a')`),
    ).toThrow()

    // 003 and every later migration (004_oauth, #19) apply over it
    expect(migrate(db).map((m) => m.name)[0]).toBe('003_workload_identity.sql')
    expect(db.prepare('SELECT id, replaced_by FROM keys ORDER BY id').all()).toEqual([
      { id: 'tok_0', replaced_by: 'tok_1' },
      { id: 'tok_1', replaced_by: null },
    ])
    expect(db.prepare('SELECT key_id FROM device_codes').all()).toEqual([{ key_id: 'tok_1' }])
    expect(db.prepare('SELECT id, event FROM audit_events').all()).toEqual([
      { id: 1, event: 'created' },
      { id: 2, event: 'login' },
    ])
    db.exec(`INSERT INTO audit_events (at, event, actor) VALUES ('t', 'exchanged', 'a')`)
    expect(db.prepare(`SELECT id FROM audit_events WHERE event = 'exchanged'`).get()).toEqual({ id: 3 })
    expect(() => db.exec('DELETE FROM audit_events')).toThrow(/append-only/)
    expect(() => db.exec(`UPDATE audit_events SET actor = 'b'`)).toThrow(/append-only/)
    db.exec(`INSERT INTO keys (id, user_id, name, hint, source, kid, created_at, expires_at)
      VALUES ('tok_2', 'usr_1', 'ci', 'h', 'workload', 'k1', 't', 't')`)
    expect(db.pragma('foreign_key_check')).toEqual([])
    // the references follow the new tables: deleting a key still clears what points at it
    db.exec(`DELETE FROM keys WHERE id = 'tok_1'`)
    expect(db.prepare('SELECT key_id FROM device_codes').get()).toEqual({ key_id: null })
    expect(db.prepare(`SELECT replaced_by FROM keys WHERE id = 'tok_0'`).get()).toEqual({ replaced_by: null })
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE sql LIKE '%_001%'`).get()).toEqual({
      n: 0,
    })
  })
})
