-- The service account (client) that created each verification: a client reads only its own verifications, and
-- idempotency keys are scoped to it (stored as `client U+001F key`, so the existing UNIQUE constraint is per
-- client). Rows from before this migration have no client: staff still read them, no client does.
ALTER TABLE verifications ADD COLUMN client TEXT;
