-- 001_init (PostgreSQL): users, keys, audit log, revocation feed, device authorization codes.
-- The same tables as db/sqlite/001_init.sql, in PostgreSQL's types.
--
-- Conventions
-- * Times are timestamptz; the store reads and writes them as ISO 8601 UTC strings.
-- * Ids are prefixed random strings minted by the application (usr_..., tok_...).
-- * No secret is stored: password_hash is a scrypt string, device codes are stored as their
--   SHA-256, and token root keys are derived from the key ring, never stored (DESIGN.md).
-- * Several service instances may share this database: invariants live in constraints and row
--   locks, never in one process's memory.

CREATE TABLE users (
  id            text PRIMARY KEY CHECK (id LIKE 'usr\_%'),
  email         text NOT NULL,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL
);

-- emails are unique without regard to case (SQLite: COLLATE NOCASE)
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

-- One row per root token. Status is derived, not stored:
--   revoked  if revoked_at IS NOT NULL
--   expired  if expires_at <= now
--   active   otherwise
CREATE TABLE keys (
  id                   text PRIMARY KEY CHECK (id LIKE 'tok\_%'),
  user_id              text NOT NULL REFERENCES users (id),
  name                 text NOT NULL,
  hint                 text NOT NULL,
  source               text NOT NULL
                         CHECK (source IN ('register', 'cli-login', 'dashboard-session', 'api', 'oauth', 'workload')),
  kid                  text NOT NULL,
  caveats              jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(caveats) = 'array'),
  created_at           timestamptz NOT NULL,
  expires_at           timestamptz NOT NULL,
  last_used_at         timestamptz,
  last_used_ip         text,
  last_used_user_agent text,
  revoked_at           timestamptz,
  revoked_reason       text,
  -- the key that took this one's place (login on the same device, rotation)
  replaced_by          text REFERENCES keys (id) ON DELETE SET NULL,
  -- rotation grace: the key is to be revoked by the periodic job once this time has passed
  revoke_after         timestamptz,
  -- insertion order: breaks ties between keys created at the same instant (SQLite's rowid)
  ord                  bigint GENERATED ALWAYS AS IDENTITY UNIQUE
);

-- listing a user's keys newest first, rate limit (created in the last hour), last-key count
CREATE INDEX keys_user_created ON keys (user_id, created_at);
-- one key per device: find the active key with a given name
CREATE INDEX keys_user_name ON keys (user_id, name, created_at) WHERE revoked_at IS NULL;
-- 30-day hard delete of revoked rows
CREATE INDEX keys_revoked_at ON keys (revoked_at) WHERE revoked_at IS NOT NULL;
-- 90-day unused job
CREATE INDEX keys_unused ON keys ((COALESCE(last_used_at, created_at))) WHERE revoked_at IS NULL;
-- rotation grace job
CREATE INDEX keys_revoke_after ON keys (revoke_after) WHERE revoke_after IS NOT NULL AND revoked_at IS NULL;
-- foreign-key lookups when a key row is hard-deleted
CREATE INDEX keys_replaced_by ON keys (replaced_by);

-- Append-only: no foreign keys (rows outlive users and keys), and triggers refuse UPDATE, DELETE
-- and TRUNCATE, whoever asks (the service's own role included).
CREATE TABLE audit_events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL,
  event      text NOT NULL CHECK (event IN (
               'created', 'renamed', 'revoked', 'replaced', 'rotated', 'deleted',
               'hard_deleted', 'auto_revoked', 'login', 'session_revoked')),
  user_id    text,
  key_id     text,
  actor      text NOT NULL,
  ip         text,
  user_agent text,
  detail     jsonb
);

CREATE INDEX audit_events_user ON audit_events (user_id, id);
CREATE INDEX audit_events_user_key ON audit_events (user_id, key_id, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'raise_exception';
END
$$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The revocation feed.
--
-- seq is the feed cursor, and it must never let a reader skip an entry: a reader that has seen
-- seq 7 must never later find a newly committed seq 6. A PostgreSQL sequence cannot promise that —
-- nextval() is taken at insert time, and two transactions may commit in the opposite order, so
-- a long-poll could answer "up to 7" before 6 is visible. (A transaction-id horizon,
-- pg_snapshot_xmin, would fix the reader side instead, at the price of holding back every entry
-- behind the oldest open transaction in the whole database, revocations or not.)
--
-- Chosen: a counter row, revocation_feed.last_seq, that the revoking transaction increments as it
-- adds its entry. The row lock is held until commit, so revoking transactions take seqs one at a
-- time in commit order: seq order is commit order, seqs are dense (a rolled-back transaction's
-- increment rolls back with it), and gaps come only from pruning — which the feed already reads
-- as "your cursor is older than the oldest entry: take a snapshot". The cost is that revoking
-- transactions serialize on one row for the moment between taking their seq and committing, which
-- the store keeps short (the entry is the transaction's last write). The counter also survives
-- pruning, so it is the feed's "latest cursor" even when the table is empty.
CREATE TABLE revocation_feed (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  last_seq bigint NOT NULL CHECK (last_seq >= 0)
);
INSERT INTO revocation_feed (only_row, last_seq) VALUES (true, 0);

-- revocation_id is '' for a whole-token entry (one unique key for both kinds, as in SQLite).
-- No foreign key to keys: an entry outlives a hard-deleted key row.
CREATE TABLE revocations (
  seq           bigint PRIMARY KEY CHECK (seq > 0),
  token_id      text NOT NULL,
  revocation_id text NOT NULL DEFAULT '',
  expires_at    timestamptz NOT NULL,
  created_at    timestamptz NOT NULL,
  UNIQUE (token_id, revocation_id)
);

CREATE INDEX revocations_expires_at ON revocations (expires_at);

-- Every instance LISTENs on crumb_revocations; the notification is delivered when the inserting
-- transaction commits (never before), carrying the new seq. A trigger, so no writer can forget it.
CREATE FUNCTION revocations_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('crumb_revocations', NEW.seq::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER revocations_notify AFTER INSERT ON revocations
  FOR EACH ROW EXECUTE FUNCTION revocations_notify();

-- RFC 8628 device authorization grant. The device code itself is never stored, only its SHA-256.
CREATE TABLE device_codes (
  device_code_hash  text PRIMARY KEY,
  user_code         text NOT NULL,
  device_name       text NOT NULL,
  client_ip         text,
  client_user_agent text,
  created_at        timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  interval_seconds  integer NOT NULL CHECK (interval_seconds > 0),
  last_polled_at    timestamptz,
  status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
  user_id           text REFERENCES users (id),
  decided_at        timestamptz,
  key_id            text REFERENCES keys (id) ON DELETE SET NULL,
  CHECK (status = 'pending' OR status = 'denied' OR user_id IS NOT NULL)
);

-- user codes are unique without regard to case (SQLite: COLLATE NOCASE)
CREATE UNIQUE INDEX device_codes_user_code_upper ON device_codes (upper(user_code));
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);
CREATE INDEX device_codes_key_id ON device_codes (key_id);
