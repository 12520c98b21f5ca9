-- The audit trail's lookup indexes leave the append path. Every per-entry index
-- on audit_entries cost the append a B-tree insert, and the actor and target ones
-- a scattered page write per entry, which halved the sustained append rate
-- (design record 0013). The lookups now live in tables of their own, filled after
-- the fact by the indexer in large sorted batches; `audit_lookup_state.seq` is the
-- last entry they cover, and queries scan the entries after it directly. These
-- tables are derived data, not part of the chain: verification never reads them,
-- and they can be rebuilt from audit_entries at any time.

DROP INDEX audit_entries_time;
DROP INDEX audit_entries_actor;
DROP INDEX audit_entries_action;
DROP INDEX audit_entries_target;

CREATE TABLE audit_lookup_time (
    time_ms  INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (time_ms, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_lookup_actor (
    actor  TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    PRIMARY KEY (actor, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_lookup_action (
    action  TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (action, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_lookup_target (
    target_kind  TEXT    NOT NULL,
    target_id    TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    PRIMARY KEY (target_kind, target_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_lookup_state (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    seq        INTEGER NOT NULL
) STRICT;

-- What is already stored is indexed here, once.
INSERT INTO audit_lookup_time SELECT time_ms, seq FROM audit_entries;
INSERT INTO audit_lookup_actor SELECT actor, seq FROM audit_entries;
INSERT INTO audit_lookup_action SELECT action, seq FROM audit_entries;
INSERT INTO audit_lookup_target SELECT target_kind, target_id, seq FROM audit_entries
    WHERE target_kind IS NOT NULL AND target_id IS NOT NULL;
INSERT INTO audit_lookup_state SELECT 1, COALESCE(MAX(seq), 0) FROM audit_entries;
