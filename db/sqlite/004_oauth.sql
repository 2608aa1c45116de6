-- 004_oauth (#19): the OAuth 2.1 authorization server's tables (key source `oauth` came with
-- 003_workload_identity). No secret is stored: client secrets, authorization codes and refresh
-- tokens are kept as their SHA-256.

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
