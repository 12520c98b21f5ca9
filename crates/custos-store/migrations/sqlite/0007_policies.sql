-- Cedar policies added by administrators, on top of the shipped defaults. Each was
-- validated against the schema before it was stored.
CREATE TABLE authz_policies (
    id        TEXT    PRIMARY KEY,
    text      TEXT    NOT NULL,
    added_by  BLOB    NOT NULL REFERENCES users (id),
    added_at  INTEGER NOT NULL
) STRICT;
