-- 003_workload_identity: trust policies and exchanged ID tokens (#20, DESIGN.md "Workload identity"),
-- and the key sources / audit events 001 did not know: keys of source 'workload' (one per trust
-- policy) and 'oauth' (#19's grants), audit event 'exchanged'.
--
-- SQLite cannot alter a CHECK constraint, so keys and audit_events are rebuilt. The migration runs
-- in a transaction with foreign_keys = ON, where DROP TABLE on a parent would fire ON DELETE SET
-- NULL on its children: the old tables are renamed first (references follow the rename), the
-- children (device_codes) rebuilt to point at the new keys, and only then are the old tables dropped.

ALTER TABLE keys RENAME TO keys_001;

CREATE TABLE keys (
  id                   TEXT PRIMARY KEY CHECK (id LIKE 'tok\_%' ESCAPE '\'),
  user_id              TEXT NOT NULL REFERENCES users (id),
  name                 TEXT NOT NULL,
  hint                 TEXT NOT NULL,
  source               TEXT NOT NULL CHECK (source IN (
                         'register', 'cli-login', 'dashboard-session', 'api', 'oauth', 'workload')),
  kid                  TEXT NOT NULL,
  caveats              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(caveats) AND json_type(caveats) = 'array'),
  created_at           TEXT NOT NULL,
  expires_at           TEXT NOT NULL,
  last_used_at         TEXT,
  last_used_ip         TEXT,
  last_used_user_agent TEXT,
  revoked_at           TEXT,
  revoked_reason       TEXT,
  replaced_by          TEXT REFERENCES keys (id) ON DELETE SET NULL,
  revoke_after         TEXT
) STRICT;

INSERT INTO keys SELECT * FROM keys_001;

ALTER TABLE device_codes RENAME TO device_codes_001;

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

INSERT INTO device_codes SELECT * FROM device_codes_001;
DROP TABLE device_codes_001;
DROP TABLE keys_001;

CREATE INDEX keys_user_created ON keys (user_id, created_at);
CREATE INDEX keys_user_name ON keys (user_id, name, created_at) WHERE revoked_at IS NULL;
CREATE INDEX keys_revoked_at ON keys (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX keys_unused ON keys (COALESCE(last_used_at, created_at)) WHERE revoked_at IS NULL;
CREATE INDEX keys_revoke_after ON keys (revoke_after) WHERE revoke_after IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX keys_replaced_by ON keys (replaced_by);
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);
CREATE INDEX device_codes_key_id ON device_codes (key_id);

-- The audit log keeps its rows and ids (AUTOINCREMENT continues after the largest copied id).
-- Triggers go with the renamed table and are dropped with it; no trigger fires on DROP TABLE.
ALTER TABLE audit_events RENAME TO audit_events_001;

CREATE TABLE audit_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         TEXT NOT NULL,
  event      TEXT NOT NULL CHECK (event IN (
               'created', 'renamed', 'revoked', 'replaced', 'rotated', 'deleted',
               'hard_deleted', 'auto_revoked', 'login', 'session_revoked', 'exchanged')),
  user_id    TEXT,
  key_id     TEXT,
  actor      TEXT NOT NULL,
  ip         TEXT,
  user_agent TEXT,
  detail     TEXT CHECK (detail IS NULL OR json_valid(detail))
) STRICT;

INSERT INTO audit_events SELECT * FROM audit_events_001;
DROP TABLE audit_events_001;

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

-- A trust policy: which CI jobs (issuer, audience, claim conditions) may exchange their OIDC ID
-- token for a token of the policy's workload key (key_id), with the key's caveats and ttl_ms to live.
CREATE TABLE trust_policies (
  id                TEXT PRIMARY KEY CHECK (id LIKE 'tp\_%' ESCAPE '\'),
  user_id           TEXT NOT NULL REFERENCES users (id),
  key_id            TEXT NOT NULL REFERENCES keys (id),
  name              TEXT NOT NULL,
  issuer            TEXT NOT NULL,
  audience          TEXT NOT NULL,
  conditions        TEXT NOT NULL CHECK (json_valid(conditions) AND json_type(conditions) = 'object'),
  caveats           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(caveats) AND json_type(caveats) = 'array'),
  ttl_ms            INTEGER NOT NULL CHECK (ttl_ms > 0),
  created_at        TEXT NOT NULL,
  last_exchanged_at TEXT
) STRICT;

CREATE INDEX trust_policies_user ON trust_policies (user_id, created_at);
CREATE INDEX trust_policies_issuer ON trust_policies (issuer, created_at);
CREATE INDEX trust_policies_key ON trust_policies (key_id);

-- Each ID token (issuer, jti) is exchanged once; rows are kept until the ID token has expired.
CREATE TABLE exchanged_jtis (
  issuer       TEXT NOT NULL,
  jti          TEXT NOT NULL,
  policy_id    TEXT NOT NULL,
  exchanged_at TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  PRIMARY KEY (issuer, jti)
) STRICT;

CREATE INDEX exchanged_jtis_expires_at ON exchanged_jtis (expires_at);
