-- Passkeys (WebAuthn credentials): a second factor a person enrols from a signed-in
-- session. The credential (public key, counter) is sealed under a key derived from
-- the root key and bound to its owner, so a row copied to another person does not open.
-- Ceremonies are the short-lived server-side state between a WebAuthn start and
-- finish (the challenge), sealed too, each used once.

CREATE TABLE passkeys (
    id             BLOB    PRIMARY KEY,
    user_id        BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id  BLOB    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    sealed         BLOB    NOT NULL,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER
) STRICT;
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE webauthn_ceremonies (
    ceremony_key  BLOB    PRIMARY KEY,
    user_id       BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sealed_state  BLOB    NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;
