-- PostgreSQL twin of migrations/sqlite/20261125000001_verifications.sql (BIGINT for INTEGER, BYTEA for BLOB, DOUBLE PRECISION for REAL,
-- identity columns for SQLite's rowid keys). The SQL that uses these tables is shared by both backends.
-- One row per verification. No images and no templates: only the outcome, the scores analysts need later,
-- and the references the request declared.
CREATE TABLE verifications (
    id TEXT PRIMARY KEY NOT NULL,
    applicant_ref TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('identification', 'anti_fraud')),
    consent_ref TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    request_digest TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('match', 'no_match', 'review', 'rejected')),
    liveness TEXT NOT NULL CHECK (liveness IN ('live', 'spoof', 'inconclusive')),
    reasons TEXT NOT NULL,
    similarity DOUBLE PRECISION,
    live_score DOUBLE PRECISION,
    created_at TEXT NOT NULL
);

CREATE INDEX verifications_applicant ON verifications (applicant_ref);
CREATE INDEX verifications_created ON verifications (created_at);
