-- Liveness sessions (issue 12): a random challenge, up to three attempts, the outcome. The challenge and the
-- failure codes hold no personal data; the subject reference is the applicant's (erased with the subject). The best
-- frontal frame of a passed session is kept, sealed under the subject's data key (bound to the session id), only
-- until a verification uses it or the session's use window ends; then it is deleted.
CREATE TABLE liveness_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    client TEXT NOT NULL,
    subject_ref TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('identification', 'anti_fraud')),
    consent_ref TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    challenge TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'live', 'failed', 'used')),
    attempts_used INTEGER NOT NULL,
    failures TEXT NOT NULL,
    best_frame BLOB,
    live_score REAL,
    verification_id TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    finished_at TEXT
) STRICT;

CREATE INDEX liveness_sessions_subject ON liveness_sessions (subject_ref);
CREATE INDEX liveness_sessions_created ON liveness_sessions (created_at);

-- Keyed hashes of every frame any attempt sent: a frame seen before (in this session or another) is a replay.
CREATE TABLE liveness_frames_seen (
    hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX liveness_frames_seen_session ON liveness_frames_seen (session_id);
