-- The audit trail: an append-only hash chain, its head, its signed checkpoints,
-- and the forwarding cursors of the SIEM sinks.

CREATE TABLE audit_entries (
    seq             BIGINT PRIMARY KEY,
    time_ms         BIGINT NOT NULL,
    action          TEXT   NOT NULL,
    actor           TEXT   NOT NULL,
    target_kind     TEXT,
    target_id       TEXT,
    outcome         TEXT   NOT NULL,
    payload         BYTEA  NOT NULL,
    prev_hash       BYTEA  NOT NULL,
    hash            BYTEA  NOT NULL,
    head_signature  BYTEA
);

CREATE INDEX audit_entries_time   ON audit_entries (time_ms);
CREATE INDEX audit_entries_actor  ON audit_entries (actor, seq);
CREATE INDEX audit_entries_action ON audit_entries (action, seq);
CREATE INDEX audit_entries_target ON audit_entries (target_kind, target_id, seq);

-- Application-level protection; the chain and the signatures are what detect a
-- privileged attacker who drops these triggers.
CREATE FUNCTION custos_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only';
END
$$;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION custos_audit_append_only();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_append_only();

CREATE TABLE audit_head (
    singleton   SMALLINT PRIMARY KEY CHECK (singleton = 1),
    seq         BIGINT NOT NULL,
    hash        BYTEA  NOT NULL,
    frontier    BYTEA  NOT NULL,
    updated_ms  BIGINT NOT NULL
);
INSERT INTO audit_head VALUES (1, 0, decode(repeat('00', 32), 'hex'), decode(repeat('00', 8), 'hex'), 0);

CREATE TABLE audit_checkpoints (
    size     BIGINT PRIMARY KEY,
    time_ms  BIGINT NOT NULL,
    line     TEXT   NOT NULL
);

CREATE TABLE audit_cursors (
    sink        TEXT   PRIMARY KEY,
    seq         BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL
);
