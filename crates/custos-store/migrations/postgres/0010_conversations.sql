-- Conversations: what was said in an interaction, stored redacted; the customer's
-- verification before an agent sees more than the masked header; and the idle
-- lifecycle of interactions.
--
-- An entry is a chat/email message or a batch of transcript turns. `content` is the
-- redacted form (JSON). `raw_sealed` is the original, kept only when an admin chose to
-- keep raw copies for the channel, sealed under the customer's data key (so deleting
-- the customer destroys it with the key); NULL otherwise.

CREATE TABLE interaction_entries (
    id              UUID    PRIMARY KEY,
    interaction_id  UUID    NOT NULL REFERENCES interactions (id),
    seq             BIGINT  NOT NULL,
    kind            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    created_by      TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    raw_sealed      BYTEA,
    UNIQUE (interaction_id, seq)
);

-- One-time codes sent to the customer's registered contact. The code is kept only as
-- an HMAC under a server key; attempts are counted; a code is used once.
CREATE TABLE verification_codes (
    id              UUID    PRIMARY KEY,
    interaction_id  UUID    NOT NULL REFERENCES interactions (id),
    method          TEXT    NOT NULL,
    code_mac        BYTEA   NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    used_at         BIGINT 
);
CREATE INDEX verification_codes_interaction ON verification_codes (interaction_id, created_at);

ALTER TABLE interactions ADD COLUMN verified_at BIGINT ;
ALTER TABLE interactions ADD COLUMN verified_method TEXT;
ALTER TABLE interactions ADD COLUMN verification_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE interactions ADD COLUMN last_activity_at BIGINT  NOT NULL DEFAULT 0;
-- The last few chat/email messages as sent, sealed under the customer's data key,
-- so a number split across messages is caught when its last piece arrives (and the
-- earlier pieces' stored forms are redacted again). Cleared when the interaction closes.
ALTER TABLE interactions ADD COLUMN redaction_context BYTEA;
UPDATE interactions SET last_activity_at = opened_at;
CREATE INDEX interactions_activity ON interactions (closed_at, last_activity_at);
