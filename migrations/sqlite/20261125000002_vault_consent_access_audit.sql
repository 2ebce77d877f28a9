-- Envelope-encrypted templates: one data key per subject, wrapped by the key-encryption key (never stored here).
CREATE TABLE subject_keys (
    subject_ref TEXT PRIMARY KEY NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped_dek BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE templates (
    id TEXT PRIMARY KEY NOT NULL,
    verification_id TEXT NOT NULL REFERENCES verifications (id) ON DELETE CASCADE,
    subject_ref TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('identification', 'anti_fraud')),
    sealed BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX templates_subject ON templates (subject_ref);

CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    subject_ref TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('checkbox', 'digital_signature')),
    text_version TEXT NOT NULL,
    cross_border INTEGER NOT NULL CHECK (cross_border IN (0, 1)),
    given_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    withdrawn_at TEXT
) STRICT;
CREATE INDEX consents_subject ON consents (subject_ref);

CREATE TABLE service_accounts (
    key_id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    secret_sha256 TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

CREATE TABLE staff_users (
    username TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('fraud_analyst', 'supervisor', 'dpo', 'auditor')),
    password_hash TEXT NOT NULL,
    totp_sealed BLOB NOT NULL,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    disabled_at TEXT
) STRICT;

CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL REFERENCES staff_users (username) ON DELETE CASCADE,
    role TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- Append-only, hash-chained: hash = sha256(prev_hash || the row's fields); audit_head holds the last link, so a
-- deleted tail is detected too. Never biometric data.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    purpose TEXT,
    subject_ref TEXT,
    result TEXT NOT NULL,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE security_events (
    id INTEGER PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
