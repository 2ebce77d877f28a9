-- Retention: what the sweeper destroyed, and the audit chain's new starting point once old audit rows are pruned.
CREATE TABLE destruction_log (
    id INTEGER PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    cutoff TEXT NOT NULL,
    count INTEGER NOT NULL
) STRICT;

ALTER TABLE audit_head ADD COLUMN base_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN base_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000';
