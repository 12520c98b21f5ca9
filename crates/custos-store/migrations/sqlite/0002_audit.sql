-- The audit trail: an append-only hash chain, its head, its signed checkpoints,
-- and the forwarding cursors of the SIEM sinks.

CREATE TABLE audit_entries (
    seq             INTEGER PRIMARY KEY,
    time_ms         INTEGER NOT NULL,
    action          TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    target_kind     TEXT,
    target_id       TEXT,
    outcome         TEXT    NOT NULL,
    payload         BLOB    NOT NULL,
    prev_hash       BLOB    NOT NULL,
    hash            BLOB    NOT NULL,
    head_signature  BLOB
) STRICT;

CREATE INDEX audit_entries_time   ON audit_entries (time_ms);
CREATE INDEX audit_entries_actor  ON audit_entries (actor, seq);
CREATE INDEX audit_entries_action ON audit_entries (action, seq);
CREATE INDEX audit_entries_target ON audit_entries (target_kind, target_id, seq);

-- Application-level protection; the chain and the signatures are what detect a
-- privileged attacker who drops these triggers.
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;

CREATE TABLE audit_head (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    seq         INTEGER NOT NULL,
    hash        BLOB    NOT NULL,
    frontier    BLOB    NOT NULL,
    updated_ms  INTEGER NOT NULL
) STRICT;
INSERT INTO audit_head VALUES (1, 0, zeroblob(32), zeroblob(8), 0);

CREATE TABLE audit_checkpoints (
    size     INTEGER PRIMARY KEY,
    time_ms  INTEGER NOT NULL,
    line     TEXT    NOT NULL
) STRICT;

CREATE TABLE audit_cursors (
    sink        TEXT    PRIMARY KEY,
    seq         INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
) STRICT;
