-- Retention: entries archived to a signed bundle may be pruned up to an anchor,
-- a signed checkpoint together with the chain head at it. Verification of the
-- store starts from the anchor. Only entries at or below it may ever be deleted.

CREATE TABLE audit_anchor (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    seq         INTEGER NOT NULL,
    hash        BLOB    NOT NULL,
    frontier    BLOB    NOT NULL,
    checkpoint  TEXT    NOT NULL,
    pruned_ms   INTEGER NOT NULL
) STRICT;

DROP TRIGGER audit_entries_no_delete;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
WHEN OLD.seq > COALESCE((SELECT seq FROM audit_anchor WHERE singleton = 1), 0)
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
