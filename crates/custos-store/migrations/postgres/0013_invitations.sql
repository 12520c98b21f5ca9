-- Invitations: an administrator invites a person by username, role and team; the
-- person redeems the one-time link (only its SHA-256 is stored) to choose a password
-- and enrol their authenticator. The account exists only once it is redeemed.

CREATE TABLE invitations (
    token_hash   BYTEA   PRIMARY KEY,
    username     TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    team         TEXT,
    invited_by   TEXT    NOT NULL,
    issued_at    BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    consumed_at  BIGINT
);

CREATE INDEX invitations_username ON invitations (username);
