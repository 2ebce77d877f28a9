-- PostgreSQL twin of migrations/sqlite/20261125000003_cases.sql (BIGINT for INTEGER, BYTEA for BLOB, DOUBLE PRECISION for REAL,
-- identity columns for SQLite's rowid keys). The SQL that uses these tables is shared by both backends.
-- Flagged verifications for human review. Crops are the aligned 112x112 faces, sealed under the subject's data
-- key, kept only for cases.
CREATE TABLE cases (
    id TEXT PRIMARY KEY NOT NULL,
    verification_id TEXT NOT NULL UNIQUE REFERENCES verifications (id) ON DELETE CASCADE,
    subject_ref TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'pending_signoff', 'closed')),
    reasons TEXT NOT NULL,
    similarity DOUBLE PRECISION,
    live_score DOUBLE PRECISION,
    duplicate_verification_id TEXT,
    duplicate_score DOUBLE PRECISION,
    assigned_to TEXT,
    outcome TEXT CHECK (outcome IN ('confirmed_fraud', 'cleared')),
    proposed_by TEXT,
    comment TEXT,
    signed_off_by TEXT,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX cases_status ON cases (status, created_at);

CREATE TABLE case_crops (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('selfie', 'document')),
    subject_ref TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX case_crops_subject ON case_crops (subject_ref);
