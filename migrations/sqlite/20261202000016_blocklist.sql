-- The blocklist: faces confirmed as fraud (a case closed as confirm_fraud), kept by supervisors. Each entry holds the
-- case's selfie template re-sealed under the subject's data key (bound to the entry id), so erasing or withdrawing
-- the subject crypto-shreds it with the rest; case and verification ids are plain references (the case may go).
CREATE TABLE blocklist (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL,
    verification_id TEXT NOT NULL,
    subject_ref TEXT NOT NULL,
    sealed BLOB NOT NULL,
    reason TEXT NOT NULL,
    added_by TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX blocklist_subject ON blocklist (subject_ref);
CREATE UNIQUE INDEX blocklist_case ON blocklist (case_id);
