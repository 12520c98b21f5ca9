-- The audit trail's lookup tables move to a file of their own, attached to every
-- connection as `lookup` (design record 0013, addendum): an indexing round then
-- takes that file's write lock, not the trail's. The new file starts empty and the
-- indexer rebuilds it from the entries; the copies in this file go.

DROP TABLE main.audit_lookup_time;
DROP TABLE main.audit_lookup_actor;
DROP TABLE main.audit_lookup_action;
DROP TABLE main.audit_lookup_target;
DROP TABLE main.audit_lookup_state;
