-- Enrolled devices: a person's workstation or browser, known by a device token
-- (stored as SHA-256) that it presents at sign-in; roles can be required to sign in
-- from one. Enrolment codes are single-use, short-lived and stored as SHA-256.
-- Sessions and pending MFA steps remember the device they came from.

CREATE TABLE devices (
    id            BLOB    PRIMARY KEY,
    user_id       BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    token_hash    BLOB    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER,
    revoked_at    INTEGER
) STRICT;
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE device_codes (
    code_hash   BLOB    PRIMARY KEY,
    user_id     BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;

ALTER TABLE sessions ADD COLUMN device_id BLOB;
ALTER TABLE mfa_challenges ADD COLUMN device_id BLOB;
