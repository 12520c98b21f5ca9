-- Single-use recovery codes, a second factor for when the authenticator is lost.
-- Only their SHA-256 is stored (each code carries 80 random bits).
CREATE TABLE recovery_codes (
    user_id    UUID   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  BYTEA  NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
