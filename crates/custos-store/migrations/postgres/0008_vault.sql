-- The customer vault. Nothing here is readable without the root key: key-encryption
-- keys and system keys are wrapped by the root, each customer's data key by a KEK,
-- each field by the customer's data key. A deleted customer keeps a tombstone row
-- without a data key (crypto-shredding); their fields, indexes and cards are gone.

CREATE TABLE vault_keks (
    version     BIGINT  PRIMARY KEY,
    wrapped     BYTEA    NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE vault_keys (
    purpose     TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    wrapped     BYTEA    NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (purpose, version)
);

CREATE TABLE customers (
    id                UUID     PRIMARY KEY,
    created_at        BIGINT  NOT NULL,
    created_by        TEXT    NOT NULL,
    kek_version       BIGINT  REFERENCES vault_keks (version),
    data_key_version  BIGINT  NOT NULL,
    data_key_wrapped  BYTEA,
    deleted_at        BIGINT ,
    deleted_by        TEXT
);
CREATE INDEX customers_kek ON customers (kek_version);

CREATE TABLE customer_fields (
    customer_id  UUID  NOT NULL REFERENCES customers (id),
    field        TEXT NOT NULL,
    sealed       BYTEA NOT NULL,
    PRIMARY KEY (customer_id, field)
);

CREATE TABLE customer_index (
    field        TEXT NOT NULL,
    hash         BYTEA NOT NULL,
    customer_id  UUID  NOT NULL REFERENCES customers (id),
    PRIMARY KEY (field, hash, customer_id)
);

CREATE TABLE card_tokens (
    token              TEXT    PRIMARY KEY,
    customer_id        UUID     NOT NULL REFERENCES customers (id),
    brand              TEXT    NOT NULL,
    bin                TEXT    NOT NULL,
    last4              TEXT    NOT NULL,
    expiry_sealed      BYTEA    NOT NULL,
    pan_sealed         BYTEA    NOT NULL,
    vault_key_version  BIGINT  NOT NULL,
    created_at         BIGINT  NOT NULL
);
CREATE INDEX card_tokens_customer ON card_tokens (customer_id);

CREATE TABLE interactions (
    id           UUID     PRIMARY KEY,
    customer_id  UUID     NOT NULL REFERENCES customers (id),
    channel      TEXT    NOT NULL,
    agent_id     UUID     NOT NULL REFERENCES users (id),
    agent_team   TEXT,
    opened_by    TEXT    NOT NULL,
    opened_at    BIGINT  NOT NULL,
    closed_at    BIGINT ,
    closed_by    TEXT
);
CREATE INDEX interactions_customer ON interactions (customer_id, closed_at);
CREATE INDEX interactions_agent ON interactions (agent_id, closed_at);
