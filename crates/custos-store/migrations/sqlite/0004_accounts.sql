-- People, their sessions and sign-in state, and integrations' service tokens.
-- Secrets are never stored in clear: passwords as Argon2id PHC strings, tokens as
-- SHA-256, TOTP secrets sealed by the server before they reach the store.

CREATE TABLE users (
    id                   BLOB    PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    role                 TEXT    NOT NULL,
    team                 TEXT,
    supervisor_id        BLOB    REFERENCES users (id),
    password_hash        TEXT    NOT NULL,
    password_changed_at  INTEGER NOT NULL,
    totp_sealed          BLOB,
    totp_last_step       INTEGER,
    failed_attempts      INTEGER NOT NULL DEFAULT 0,
    locked_until         INTEGER,
    disabled_at          INTEGER,
    created_at           INTEGER NOT NULL,
    last_sign_in_at      INTEGER
) STRICT;

CREATE TABLE password_history (
    user_id        BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash  TEXT    NOT NULL,
    changed_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX password_history_user ON password_history (user_id, changed_at);

CREATE TABLE mfa_challenges (
    token_hash  BLOB    PRIMARY KEY,
    user_id     BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    id          BLOB    PRIMARY KEY,
    token_hash  BLOB    NOT NULL UNIQUE,
    user_id     BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    mfa_at      INTEGER NOT NULL,
    ip          TEXT,
    ended_at    INTEGER,
    end_reason  TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id, ended_at);

CREATE TABLE service_tokens (
    id          BLOB    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    role        TEXT    NOT NULL,
    token_hash  BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    last_used_at INTEGER
) STRICT;
