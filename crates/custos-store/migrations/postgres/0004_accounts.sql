-- People, their sessions and sign-in state, and integrations' service tokens.
-- Secrets are never stored in clear: passwords as Argon2id PHC strings, tokens as
-- SHA-256, TOTP secrets sealed by the server before they reach the store.

CREATE TABLE users (
    id                   UUID    PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    role                 TEXT    NOT NULL,
    team                 TEXT,
    supervisor_id        UUID    REFERENCES users (id),
    password_hash        TEXT    NOT NULL,
    password_changed_at  BIGINT NOT NULL,
    totp_sealed          BYTEA,
    totp_last_step       BIGINT,
    failed_attempts      BIGINT NOT NULL DEFAULT 0,
    locked_until         BIGINT,
    disabled_at          BIGINT,
    created_at           BIGINT NOT NULL,
    last_sign_in_at      BIGINT
);

CREATE TABLE password_history (
    user_id        UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash  TEXT    NOT NULL,
    changed_at     BIGINT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, changed_at);

CREATE TABLE mfa_challenges (
    token_hash  BYTEA   PRIMARY KEY,
    user_id     UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE sessions (
    id          UUID    PRIMARY KEY,
    token_hash  BYTEA    NOT NULL UNIQUE,
    user_id     UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    mfa_at      BIGINT NOT NULL,
    ip          TEXT,
    ended_at    BIGINT,
    end_reason  TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, ended_at);

CREATE TABLE service_tokens (
    id          UUID    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    role        TEXT    NOT NULL,
    token_hash  BYTEA    NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    last_used_at BIGINT
);
