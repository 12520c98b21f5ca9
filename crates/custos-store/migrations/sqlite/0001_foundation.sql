-- Foundation: the identity of this installation and its one-time setup links.
-- Times are Unix seconds (UTC) in both backends, so comparisons behave the same.

CREATE TABLE instance (
    singleton            INTEGER PRIMARY KEY CHECK (singleton = 1),
    instance_id          BLOB    NOT NULL,
    created_at           INTEGER NOT NULL,
    setup_completed_at   INTEGER
) STRICT;

CREATE TABLE setup_tokens (
    token_hash   BLOB    PRIMARY KEY,
    issued_at    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    consumed_at  INTEGER
) STRICT;
