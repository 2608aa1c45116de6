-- crumb:foreign-keys-off
-- 003_oauth (#19): the OAuth 2.1 authorization server's tables, and key sources `oauth` and
-- `workload` (db/postgres/001_init.sql has them already).
--
-- SQLite cannot alter a CHECK constraint: the keys table is rebuilt (the procedure of
-- https://sqlite.org/lang_altertable.html#otheralter). The marker on the first line makes the
-- migration runner turn foreign keys off around this migration and run `PRAGMA foreign_key_check`
-- before it commits, so dropping the old table sets nothing to NULL in device_codes or keys.

CREATE TABLE keys_new (
  id                   TEXT PRIMARY KEY CHECK (id LIKE 'tok\_%' ESCAPE '\'),
  user_id              TEXT NOT NULL REFERENCES users (id),
  name                 TEXT NOT NULL,
  hint                 TEXT NOT NULL,
  source               TEXT NOT NULL CHECK (source IN ('register', 'cli-login', 'dashboard-session', 'api', 'oauth', 'workload')),
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

INSERT INTO keys_new (id, user_id, name, hint, source, kid, caveats, created_at, expires_at, last_used_at,
                      last_used_ip, last_used_user_agent, revoked_at, revoked_reason, replaced_by, revoke_after)
SELECT id, user_id, name, hint, source, kid, caveats, created_at, expires_at, last_used_at,
       last_used_ip, last_used_user_agent, revoked_at, revoked_reason, replaced_by, revoke_after
FROM keys;

DROP TABLE keys;
ALTER TABLE keys_new RENAME TO keys;

CREATE INDEX keys_user_created ON keys (user_id, created_at);
CREATE INDEX keys_user_name ON keys (user_id, name, created_at) WHERE revoked_at IS NULL;
CREATE INDEX keys_revoked_at ON keys (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX keys_unused ON keys (COALESCE(last_used_at, created_at)) WHERE revoked_at IS NULL;
CREATE INDEX keys_revoke_after ON keys (revoke_after) WHERE revoke_after IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX keys_replaced_by ON keys (replaced_by);

-- Clients registered through POST /oauth/register (RFC 7591). A client whose client_id is a
-- metadata document URL is fetched, never stored. The secret is stored as its SHA-256.
CREATE TABLE oauth_clients (
  id            TEXT PRIMARY KEY CHECK (id LIKE 'cli\_%' ESCAPE '\'),
  name          TEXT NOT NULL,
  redirect_uris TEXT NOT NULL CHECK (json_valid(redirect_uris) AND json_type(redirect_uris) = 'array'),
  auth_method   TEXT NOT NULL CHECK (auth_method IN ('none', 'client_secret_basic', 'client_secret_post')),
  secret_hash   TEXT,
  client_uri    TEXT,
  logo_uri      TEXT,
  scope         TEXT,
  created_at    TEXT NOT NULL,
  registered_ip TEXT,
  CHECK ((auth_method = 'none') = (secret_hash IS NULL))
) STRICT;

-- One /oauth/authorize request, then the consent and its code (stored as its SHA-256).
-- No foreign key to oauth_clients: a metadata-document client has no row.
CREATE TABLE oauth_authorizations (
  id              TEXT PRIMARY KEY CHECK (id LIKE 'azr\_%' ESCAPE '\'),
  client_id       TEXT NOT NULL,
  client_name     TEXT NOT NULL,
  redirect_uri    TEXT NOT NULL,
  code_challenge  TEXT NOT NULL,
  state           TEXT,
  scope           TEXT NOT NULL,
  resource        TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  expires_at      TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
  user_id         TEXT REFERENCES users (id),
  decided_at      TEXT,
  granted_scope   TEXT,
  caveats         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(caveats) AND json_type(caveats) = 'array'),
  grant_ttl_ms    INTEGER,
  code_hash       TEXT UNIQUE,
  code_expires_at TEXT,
  key_id          TEXT REFERENCES keys (id) ON DELETE SET NULL,
  CHECK (status = 'pending' OR user_id IS NOT NULL),
  CHECK (status NOT IN ('approved', 'consumed') OR (code_hash IS NOT NULL AND code_expires_at IS NOT NULL))
) STRICT;

CREATE INDEX oauth_authorizations_expires_at ON oauth_authorizations (expires_at);
CREATE INDEX oauth_authorizations_key_id ON oauth_authorizations (key_id);

-- The OAuth side of a grant: the key (source 'oauth') it belongs to. Goes with the key row.
CREATE TABLE oauth_grants (
  key_id     TEXT PRIMARY KEY REFERENCES keys (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users (id),
  client_id  TEXT NOT NULL,
  resource   TEXT NOT NULL,
  scope      TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

-- Refresh tokens, stored as their SHA-256; rotated on every use (used_at set once).
CREATE TABLE oauth_refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  key_id     TEXT NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
  client_id  TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at    TEXT
) STRICT;

CREATE INDEX oauth_refresh_tokens_key_id ON oauth_refresh_tokens (key_id);
CREATE INDEX oauth_refresh_tokens_expires_at ON oauth_refresh_tokens (expires_at);
