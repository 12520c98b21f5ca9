-- Passkeys (WebAuthn credentials): a second factor a person enrols from a signed-in
-- session. The credential (public key, counter) is sealed under a key derived from
-- the root key and bound to its owner, so a row copied to another person does not open.
-- Ceremonies are the short-lived server-side state between a WebAuthn start and
-- finish (the challenge), sealed too, each used once.

CREATE TABLE passkeys (
    id             UUID    PRIMARY KEY,
    user_id        UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id  BYTEA   NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    sealed         BYTEA   NOT NULL,
    created_at     BIGINT  NOT NULL,
    last_used_at   BIGINT 
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE webauthn_ceremonies (
    ceremony_key  BYTEA   PRIMARY KEY,
    user_id       UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sealed_state  BYTEA   NOT NULL,
    expires_at    BIGINT  NOT NULL
);
