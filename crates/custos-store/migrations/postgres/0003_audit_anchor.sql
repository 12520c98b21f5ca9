-- Retention: entries archived to a signed bundle may be pruned up to an anchor,
-- a signed checkpoint together with the chain head at it. Verification of the
-- store starts from the anchor. Only entries at or below it may ever be deleted.

CREATE TABLE audit_anchor (
    singleton   SMALLINT PRIMARY KEY CHECK (singleton = 1),
    seq         BIGINT NOT NULL,
    hash        BYTEA  NOT NULL,
    frontier    BYTEA  NOT NULL,
    checkpoint  TEXT   NOT NULL,
    pruned_ms   BIGINT NOT NULL
);

CREATE OR REPLACE FUNCTION custos_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.seq <= COALESCE((SELECT seq FROM audit_anchor WHERE singleton = 1), 0) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only';
END
$$;
