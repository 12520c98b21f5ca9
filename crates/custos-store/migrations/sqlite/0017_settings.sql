-- Settings changed at run time from the console or the API (sessions, lockout,
-- retention, masking), over the values of the configuration file. One row per
-- setting that differs from the file; removing the row returns it to the file's
-- value. Values are JSON; none is a secret. Every change is in the audit trail.
CREATE TABLE settings (
    name        TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    changed_by  TEXT    NOT NULL,
    changed_at  INTEGER NOT NULL
);
