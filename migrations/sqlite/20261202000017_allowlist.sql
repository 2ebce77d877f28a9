-- The allowlist: pairs of subjects known not to be one person (twins), whose mutual 1:N hits are not flagged. Kept
-- by supervisors from a cleared duplicate case. Subjects appear only as their keyed pseudonyms, the smaller first.
CREATE TABLE allowlist (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL,
    subject_a TEXT NOT NULL,
    subject_b TEXT NOT NULL,
    added_by TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX allowlist_pair ON allowlist (subject_a, subject_b);
CREATE INDEX allowlist_b ON allowlist (subject_b);
