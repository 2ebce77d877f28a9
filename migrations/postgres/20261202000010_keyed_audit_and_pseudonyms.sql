-- PostgreSQL twin of migrations/sqlite/20261202000010_keyed_audit_and_pseudonyms.sql.
-- Service keys: the audit-chain MAC key, the subject-pseudonym key and the checkpoint-signing seed, 256 random bits
-- each, created on the first start and stored only wrapped by the key-encryption key (AES-256-GCM; the associated
-- data names the kind, the KEK id and chain_from). chain_from: the first audit row under the keyed chain; earlier
-- rows are the legacy SHA-256 chain.
CREATE TABLE service_keys (
    kind TEXT PRIMARY KEY NOT NULL CHECK (kind IN ('audit_chain', 'pseudonym', 'checkpoint_signing')),
    kek_id TEXT NOT NULL,
    wrapped BYTEA NOT NULL,
    chain_from BIGINT NOT NULL,
    created_at TEXT NOT NULL
);

-- HMAC (audit-chain key) over the head's seq, hash, base_seq and base_hash: the tail and the base cannot be moved
-- without the key. NULL until the service keys exist.
ALTER TABLE audit_head ADD COLUMN mac TEXT;

-- consents.subject_ref holds the subject's keyed pseudonym (1) or, in rows written before this version, the clear
-- reference (0), which the service pseudonymises at start.
ALTER TABLE consents ADD COLUMN subject_scheme BIGINT NOT NULL DEFAULT 0 CHECK (subject_scheme IN (0, 1));

-- The subject's pseudonym beside its data key: a withdrawal, which knows the subject only from its consent, finds
-- the biometric data to destroy through it. Filled at start for keys created before this version.
ALTER TABLE subject_keys ADD COLUMN pseudonym TEXT;
CREATE INDEX subject_keys_pseudonym ON subject_keys (pseudonym);
