-- The customer vault. Nothing here is readable without the root key: key-encryption
-- keys and system keys are wrapped by the root, each customer's data key by a KEK,
-- each field by the customer's data key. A deleted customer keeps a tombstone row
-- without a data key (crypto-shredding); their fields, indexes and cards are gone.

CREATE TABLE vault_keks (
    version     INTEGER PRIMARY KEY,
    wrapped     BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE vault_keys (
    purpose     TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    wrapped     BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (purpose, version)
) STRICT;

CREATE TABLE customers (
    id                BLOB    PRIMARY KEY,
    created_at        INTEGER NOT NULL,
    created_by        TEXT    NOT NULL,
    kek_version       INTEGER REFERENCES vault_keks (version),
    data_key_version  INTEGER NOT NULL,
    data_key_wrapped  BLOB,
    deleted_at        INTEGER,
    deleted_by        TEXT
) STRICT;
CREATE INDEX customers_kek ON customers (kek_version);

CREATE TABLE customer_fields (
    customer_id  BLOB NOT NULL REFERENCES customers (id),
    field        TEXT NOT NULL,
    sealed       BLOB NOT NULL,
    PRIMARY KEY (customer_id, field)
) STRICT, WITHOUT ROWID;

CREATE TABLE customer_index (
    field        TEXT NOT NULL,
    hash         BLOB NOT NULL,
    customer_id  BLOB NOT NULL REFERENCES customers (id),
    PRIMARY KEY (field, hash, customer_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE card_tokens (
    token              TEXT    PRIMARY KEY,
    customer_id        BLOB    NOT NULL REFERENCES customers (id),
    brand              TEXT    NOT NULL,
    bin                TEXT    NOT NULL,
    last4              TEXT    NOT NULL,
    expiry_sealed      BLOB    NOT NULL,
    pan_sealed         BLOB    NOT NULL,
    vault_key_version  INTEGER NOT NULL,
    created_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX card_tokens_customer ON card_tokens (customer_id);

CREATE TABLE interactions (
    id           BLOB    PRIMARY KEY,
    customer_id  BLOB    NOT NULL REFERENCES customers (id),
    channel      TEXT    NOT NULL,
    agent_id     BLOB    NOT NULL REFERENCES users (id),
    agent_team   TEXT,
    opened_by    TEXT    NOT NULL,
    opened_at    INTEGER NOT NULL,
    closed_at    INTEGER,
    closed_by    TEXT
) STRICT;
CREATE INDEX interactions_customer ON interactions (customer_id, closed_at);
CREATE INDEX interactions_agent ON interactions (agent_id, closed_at);
