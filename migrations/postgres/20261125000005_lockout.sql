-- PostgreSQL twin of migrations/sqlite/20261125000005_lockout.sql (BIGINT for INTEGER, BYTEA for BLOB, DOUBLE PRECISION for REAL,
-- identity columns for SQLite's rowid keys). The SQL that uses these tables is shared by both backends.
-- Repeated failed logins lock a staff account for a back-off period that doubles with each further failure.
ALTER TABLE staff_users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff_users ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;
