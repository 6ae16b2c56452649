-- People who sign in to o2c, their browser sessions, their API tokens, and the
-- failed logins that rate-limit password guessing (package auth). No secret is
-- stored as given: passwords as argon2id hashes, session ids and API tokens as
-- SHA-256 digests of their random bytes.

CREATE TABLE users (
    id                  bigserial PRIMARY KEY,
    name                text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    role                text NOT NULL CHECK (role IN ('admin', 'treasury', 'ops', 'viewer')),
    password_hash       text NOT NULL,
    disabled_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    id_hash       bytea PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label         text NOT NULL CHECK (length(label) <= 100),
    hint          text NOT NULL,
    hash          bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz
);

CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- One row per failed login, keyed by account ("user:NAME") and by client
-- address ("ip:ADDR"); rows older than the rate-limit window are deleted.
CREATE TABLE login_failures (
    key  text NOT NULL,
    at   timestamptz NOT NULL
);

CREATE INDEX login_failures_key_at ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);
