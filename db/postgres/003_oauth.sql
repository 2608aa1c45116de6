-- 003_oauth (#19, PostgreSQL): the OAuth 2.1 authorization server's tables, the same as
-- db/sqlite/004_oauth.sql in PostgreSQL's types. (Key sources `oauth` and `workload` are in
-- 001_init already.) No secret is stored: client secrets, authorization codes and refresh tokens
-- are kept as their SHA-256.

-- Clients registered through POST /oauth/register (RFC 7591). A client whose client_id is a
-- metadata document URL is fetched, never stored.
CREATE TABLE oauth_clients (
  id            text PRIMARY KEY CHECK (id LIKE 'cli\_%'),
  name          text NOT NULL,
  redirect_uris jsonb NOT NULL CHECK (jsonb_typeof(redirect_uris) = 'array'),
  auth_method   text NOT NULL CHECK (auth_method IN ('none', 'client_secret_basic', 'client_secret_post')),
  secret_hash   text,
  client_uri    text,
  logo_uri      text,
  scope         text,
  created_at    timestamptz NOT NULL,
  registered_ip text,
  CHECK ((auth_method = 'none') = (secret_hash IS NULL))
);

-- One /oauth/authorize request, then the consent and its code (stored as its SHA-256).
-- No foreign key to oauth_clients: a metadata-document client has no row. Every state change is
-- one conditional UPDATE, so of two instances racing to use a code exactly one succeeds.
CREATE TABLE oauth_authorizations (
  id              text PRIMARY KEY CHECK (id LIKE 'azr\_%'),
  client_id       text NOT NULL,
  client_name     text NOT NULL,
  redirect_uri    text NOT NULL,
  code_challenge  text NOT NULL,
  state           text,
  scope           text NOT NULL,
  resource        text NOT NULL,
  created_at      timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
  user_id         text REFERENCES users (id),
  decided_at      timestamptz,
  granted_scope   text,
  caveats         jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(caveats) = 'array'),
  grant_ttl_ms    bigint,
  code_hash       text UNIQUE,
  code_expires_at timestamptz,
  key_id          text REFERENCES keys (id) ON DELETE SET NULL,
  CHECK (status = 'pending' OR user_id IS NOT NULL),
  CHECK (status NOT IN ('approved', 'consumed') OR (code_hash IS NOT NULL AND code_expires_at IS NOT NULL))
);

CREATE INDEX oauth_authorizations_expires_at ON oauth_authorizations (expires_at);
CREATE INDEX oauth_authorizations_key_id ON oauth_authorizations (key_id);

-- The OAuth side of a grant: the key (source 'oauth') it belongs to. Goes with the key row.
CREATE TABLE oauth_grants (
  key_id     text PRIMARY KEY REFERENCES keys (id) ON DELETE CASCADE,
  user_id    text NOT NULL REFERENCES users (id),
  client_id  text NOT NULL,
  resource   text NOT NULL,
  scope      text NOT NULL,
  created_at timestamptz NOT NULL
);

-- Refresh tokens, stored as their SHA-256; rotated on every use (used_at set once).
CREATE TABLE oauth_refresh_tokens (
  token_hash text PRIMARY KEY,
  key_id     text NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
  client_id  text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);

CREATE INDEX oauth_refresh_tokens_key_id ON oauth_refresh_tokens (key_id);
CREATE INDEX oauth_refresh_tokens_expires_at ON oauth_refresh_tokens (expires_at);
