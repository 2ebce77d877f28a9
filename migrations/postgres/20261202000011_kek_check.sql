-- The key check value of the key-encryption key that wraps this database's keys (one row: the current KEK).
-- A known constant sealed under the KEK: only the right key opens it; it reveals nothing about the key.
CREATE TABLE kek_checks (
    kek_id TEXT PRIMARY KEY NOT NULL,
    check_value BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
