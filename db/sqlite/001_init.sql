-- 001_init: users, keys, audit log, revocation feed, device authorization codes.
--
-- Conventions
-- * Times are ISO 8601 UTC strings as produced by Date.prototype.toISOString()
--   ('2026-01-02T03:04:05.678Z'): fixed width, so text comparison is time comparison.
--   The store normalises every time it writes to that form.
-- * Ids are prefixed random strings minted by the application (usr_..., tok_...).
-- * No secret is stored: password_hash is a scrypt string, device codes are stored as their
--   SHA-256, and token root keys are derived from the key ring, never stored (DESIGN.md).

CREATE TABLE users (
  id            TEXT PRIMARY KEY CHECK (id LIKE 'usr\_%' ESCAPE '\'),
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL
) STRICT;

-- One row per root token. Status is derived, not stored:
--   revoked  if revoked_at IS NOT NULL
--   expired  if expires_at <= now
--   active   otherwise
CREATE TABLE keys (
  id                   TEXT PRIMARY KEY CHECK (id LIKE 'tok\_%' ESCAPE '\'),
  user_id              TEXT NOT NULL REFERENCES users (id),
  name                 TEXT NOT NULL,
  hint                 TEXT NOT NULL,
  source               TEXT NOT NULL CHECK (source IN ('register', 'cli-login', 'dashboard-session', 'api')),
  kid                  TEXT NOT NULL,
  caveats              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(caveats) AND json_type(caveats) = 'array'),
  created_at           TEXT NOT NULL,
  expires_at           TEXT NOT NULL,
  last_used_at         TEXT,
  last_used_ip         TEXT,
  last_used_user_agent TEXT,
  revoked_at           TEXT,
  revoked_reason       TEXT,
  -- the key that took this one's place (login on the same device, rotation)
  replaced_by          TEXT REFERENCES keys (id) ON DELETE SET NULL,
  -- rotation grace: the key is to be revoked by the periodic job once this time has passed
  revoke_after         TEXT
) STRICT;

-- listing a user's keys newest first, rate limit (created in the last hour), last-key count
CREATE INDEX keys_user_created ON keys (user_id, created_at);
-- one key per device: find the active key with a given name
CREATE INDEX keys_user_name ON keys (user_id, name, created_at) WHERE revoked_at IS NULL;
-- 30-day hard delete of revoked rows
CREATE INDEX keys_revoked_at ON keys (revoked_at) WHERE revoked_at IS NOT NULL;
-- 90-day unused job
CREATE INDEX keys_unused ON keys (COALESCE(last_used_at, created_at)) WHERE revoked_at IS NULL;
-- rotation grace job
CREATE INDEX keys_revoke_after ON keys (revoke_after) WHERE revoke_after IS NOT NULL AND revoked_at IS NULL;
-- foreign-key lookups when a key row is hard-deleted
CREATE INDEX keys_replaced_by ON keys (replaced_by);

-- Append-only: no foreign keys (rows outlive users and keys), and triggers refuse UPDATE and DELETE.
CREATE TABLE audit_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         TEXT NOT NULL,
  event      TEXT NOT NULL CHECK (event IN (
               'created', 'renamed', 'revoked', 'replaced', 'rotated', 'deleted',
               'hard_deleted', 'auto_revoked', 'login', 'session_revoked')),
  user_id    TEXT,
  key_id     TEXT,
  actor      TEXT NOT NULL,
  ip         TEXT,
  user_agent TEXT,
  detail     TEXT CHECK (detail IS NULL OR json_valid(detail))
) STRICT;

CREATE INDEX audit_events_user ON audit_events (user_id, id);
CREATE INDEX audit_events_user_key ON audit_events (user_id, key_id, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit log is append-only');
END;

-- The revocation feed. seq is the feed cursor: AUTOINCREMENT never reuses a value, even after
-- pruning empties the table, and SQLite's single writer commits seqs in order.
-- revocation_id is '' for a whole-token entry (SQLite treats NULLs as distinct in UNIQUE).
-- No foreign key to keys: an entry outlives a hard-deleted key row.
CREATE TABLE revocations (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  token_id      TEXT NOT NULL,
  revocation_id TEXT NOT NULL DEFAULT '',
  expires_at    TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  UNIQUE (token_id, revocation_id)
) STRICT;

CREATE INDEX revocations_expires_at ON revocations (expires_at);

-- RFC 8628 device authorization grant. The device code itself is never stored, only its SHA-256.
CREATE TABLE device_codes (
  device_code_hash  TEXT PRIMARY KEY,
  user_code         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  device_name       TEXT NOT NULL,
  client_ip         TEXT,
  client_user_agent TEXT,
  created_at        TEXT NOT NULL,
  expires_at        TEXT NOT NULL,
  interval_seconds  INTEGER NOT NULL CHECK (interval_seconds > 0),
  last_polled_at    TEXT,
  status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
  user_id           TEXT REFERENCES users (id),
  decided_at        TEXT,
  key_id            TEXT REFERENCES keys (id) ON DELETE SET NULL,
  CHECK (status = 'pending' OR status = 'denied' OR user_id IS NOT NULL)
) STRICT;

CREATE INDEX device_codes_expires_at ON device_codes (expires_at);
CREATE INDEX device_codes_key_id ON device_codes (key_id);
