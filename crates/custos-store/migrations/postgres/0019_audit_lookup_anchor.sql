-- The lookup watermark carries the hash of the entry it reaches, as on SQLite,
-- where the lookups live in a file of their own and the hash tells on open whether
-- that file belongs to the trail beside it (design record 0013, addendum). Here
-- both are in one database; the column keeps the statements the same.

ALTER TABLE audit_lookup_state ADD COLUMN anchor BYTEA;
UPDATE audit_lookup_state SET anchor = (
    SELECT hash FROM audit_entries WHERE audit_entries.seq = audit_lookup_state.seq
);
