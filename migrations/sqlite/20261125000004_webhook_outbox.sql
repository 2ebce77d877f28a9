-- Case notifications for the optional webhook: written in the same transaction as the case change, delivered by a
-- background worker with retries. Payloads carry ids and codes only.
CREATE TABLE webhook_outbox (
    id INTEGER PRIMARY KEY NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at INTEGER,
    last_error TEXT
) STRICT;
CREATE INDEX webhook_outbox_due ON webhook_outbox (delivered_at, next_attempt_at);
