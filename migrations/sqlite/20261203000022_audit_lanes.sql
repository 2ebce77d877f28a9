-- The audit log as several chains ("lanes"): see the PostgreSQL migration. SQLite has one writer at a time, so it
-- keeps one lane (lane 1, the chain as it was); the column and the table exist so that the SQL is the same.
ALTER TABLE audit_log ADD COLUMN lane INTEGER NOT NULL DEFAULT 1 CHECK (lane = 1);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE audit_lanes (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    lanes INTEGER NOT NULL CHECK (lanes = 1),
    mac TEXT
) STRICT;
INSERT INTO audit_lanes (id, lanes) VALUES (1, 1);
