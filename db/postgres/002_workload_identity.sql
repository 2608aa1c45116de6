-- 002_workload_identity (PostgreSQL): trust policies and exchanged ID tokens (#20, DESIGN.md
-- "Workload identity"), and the audit event 'exchanged'. The same tables as
-- db/sqlite/003_workload_identity.sql (001 here already admits key sources 'oauth' and 'workload').

ALTER TABLE audit_events DROP CONSTRAINT audit_events_event_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_event_check CHECK (event IN (
  'created', 'renamed', 'revoked', 'replaced', 'rotated', 'deleted',
  'hard_deleted', 'auto_revoked', 'login', 'session_revoked', 'exchanged'));

-- A trust policy: which CI jobs (issuer, audience, claim conditions) may exchange their OIDC ID
-- token for a token of the policy's workload key (key_id), with the key's caveats and ttl_ms to live.
CREATE TABLE trust_policies (
  id                text PRIMARY KEY CHECK (id LIKE 'tp\_%'),
  user_id           text NOT NULL REFERENCES users (id),
  key_id            text NOT NULL REFERENCES keys (id),
  name              text NOT NULL,
  issuer            text NOT NULL,
  audience          text NOT NULL,
  conditions        jsonb NOT NULL CHECK (jsonb_typeof(conditions) = 'object'),
  caveats           jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(caveats) = 'array'),
  ttl_ms            bigint NOT NULL CHECK (ttl_ms > 0),
  created_at        timestamptz NOT NULL,
  last_exchanged_at timestamptz
);

CREATE INDEX trust_policies_user ON trust_policies (user_id, created_at);
CREATE INDEX trust_policies_issuer ON trust_policies (issuer, created_at);
CREATE INDEX trust_policies_key ON trust_policies (key_id);

-- Each ID token (issuer, jti) is exchanged once (INSERT … ON CONFLICT DO NOTHING); rows are kept
-- until the ID token has expired.
CREATE TABLE exchanged_jtis (
  issuer       text NOT NULL,
  jti          text NOT NULL,
  policy_id    text NOT NULL,
  exchanged_at timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (issuer, jti)
);

CREATE INDEX exchanged_jtis_expires_at ON exchanged_jtis (expires_at);
