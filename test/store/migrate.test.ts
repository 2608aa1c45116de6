import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import {
  appliedMigrations,
  loadMigrations,
  migrate,
  migrationsDir,
  openDatabase,
} from '../../src/store/sqlite/index.js'
import { tempDir } from './helpers.js'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})
function dir(): string {
  const t = tempDir()
  cleanups.push(t.cleanup)
  return t.dir
}
function open(path: string, options: Parameters<typeof openDatabase>[1] = {}): Database.Database {
  const db = openDatabase(path, options)
  cleanups.unshift(() => db.open && db.close())
  return db
}

describe('migrations', () => {
  it('finds the repository db/sqlite/ directory from the module URL', () => {
    const d = migrationsDir()
    expect(d.replace(/\/$/, '').endsWith('/db/sqlite')).toBe(true)
    expect(loadMigrations(d)[0]?.name).toBe('001_init.sql')
  })

  it('applies every migration once, records it, and re-running applies nothing', () => {
    const path = join(dir(), 'crumb.db')
    const db = open(path)
    const recorded = appliedMigrations(db)
    expect(recorded.map((m) => m.version)).toEqual(loadMigrations().map((m) => m.version))
    expect(recorded[0]?.name).toBe('001_init.sql')
    expect(recorded[0]?.checksum).toMatch(/^[0-9a-f]{64}$/)
    expect(migrate(db)).toEqual([])
    db.close()

    // reopening the file migrates nothing either
    const again = open(path)
    expect(migrate(again)).toEqual([])
    expect(appliedMigrations(again)).toEqual(recorded)
  })

  it('creates the expected tables', () => {
    const db = open(join(dir(), 'crumb.db'))
    const tables = db
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all()
    expect(tables).toEqual(
      expect.arrayContaining([
        'audit_events',
        'device_codes',
        'keys',
        'revocations',
        'schema_migrations',
        'users',
      ]),
    )
  })

  it('applies migrations in numeric order, each in its own transaction', () => {
    const migrations = dir()
    writeFileSync(join(migrations, '002_b.sql'), 'INSERT INTO t (v) VALUES (2);')
    writeFileSync(join(migrations, '001_a.sql'), 'CREATE TABLE t (v INTEGER);')
    writeFileSync(join(migrations, '010_c.sql'), 'INSERT INTO t (v) VALUES (10);')
    writeFileSync(join(migrations, 'README.md'), 'not a migration')
    const db = new Database(':memory:')
    cleanups.unshift(() => db.close())
    expect(migrate(db, { dir: migrations }).map((m) => m.version)).toEqual([1, 2, 10])
    expect(db.prepare<[], number>('SELECT v FROM t ORDER BY rowid').pluck().all()).toEqual([2, 10])

    // a failing migration rolls back completely and is not recorded
    writeFileSync(
      join(migrations, '011_bad.sql'),
      'INSERT INTO t (v) VALUES (11); INSERT INTO nope VALUES (1);',
    )
    expect(() => migrate(db, { dir: migrations })).toThrow()
    expect(db.prepare<[], number>('SELECT count(*) FROM t WHERE v = 11').pluck().get()).toBe(0)
    expect(appliedMigrations(db).map((m) => m.version)).toEqual([1, 2, 10])
  })

  it('refuses an applied migration whose file changed, and a schema newer than the build', () => {
    const migrations = dir()
    writeFileSync(join(migrations, '001_a.sql'), 'CREATE TABLE t (v INTEGER);')
    const db = new Database(':memory:')
    cleanups.unshift(() => db.close())
    migrate(db, { dir: migrations })
    writeFileSync(join(migrations, '001_a.sql'), 'CREATE TABLE t (v TEXT);')
    expect(() => migrate(db, { dir: migrations })).toThrow(/changed/)

    const other = dir()
    writeFileSync(join(other, '001_a.sql'), 'CREATE TABLE t (v INTEGER);')
    db.prepare(
      "INSERT INTO schema_migrations VALUES (7, '007_future.sql', 'x', '2030-01-01T00:00:00.000Z')",
    ).run()
    expect(() => migrate(db, { dir: other })).toThrow(/newer/)
  })

  it('refuses two migrations with one version', () => {
    const migrations = dir()
    writeFileSync(join(migrations, '001_a.sql'), 'SELECT 1;')
    writeFileSync(join(migrations, '1_b.sql'), 'SELECT 1;')
    expect(() => loadMigrations(migrations)).toThrow(/share version 1/)
  })

  it('a second connection to a migrated file sees it up to date', () => {
    const path = join(dir(), 'crumb.db')
    const a = open(path)
    const b = open(path)
    expect(appliedMigrations(b)).toEqual(appliedMigrations(a))
  })
})

describe('openDatabase', () => {
  it('turns on WAL, synchronous FULL, foreign keys and a busy timeout', () => {
    const db = open(join(dir(), 'crumb.db'))
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(2) // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  })

  it('creates the database file owner-only, and its parent directory', () => {
    const path = join(dir(), 'nested', 'data', 'crumb.db')
    open(path)
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it('supports :memory:', () => {
    const db = open(':memory:')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(appliedMigrations(db).length).toBeGreaterThan(0)
  })

  it('enforces foreign keys', () => {
    const db = open(join(dir(), 'crumb.db'))
    expect(() =>
      db
        .prepare(
          `INSERT INTO keys (id, user_id, name, hint, source, kid, created_at, expires_at)
           VALUES ('tok_x', 'usr_missing', 'n', 'h', 'api', 'k1', '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z')`,
        )
        .run(),
    ).toThrow(/FOREIGN KEY/)
  })
})
