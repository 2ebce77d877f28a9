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
    similarity REAL,
    live_score REAL,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX verifications_applicant ON verifications (applicant_ref);
CREATE INDEX verifications_created ON verifications (created_at);
