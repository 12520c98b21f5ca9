-- Foundation: the identity of this installation and its one-time setup links.
-- Times are Unix seconds (UTC) in both backends, so comparisons behave the same.

CREATE TABLE instance (
    singleton            SMALLINT PRIMARY KEY CHECK (singleton = 1),
    instance_id          UUID     NOT NULL,
    created_at           BIGINT   NOT NULL,
    setup_completed_at   BIGINT
);

CREATE TABLE setup_tokens (
    token_hash   BYTEA  PRIMARY KEY,
    issued_at    BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    consumed_at  BIGINT
);
