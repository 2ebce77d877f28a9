-- Leases: work one replica at a time must do, in order (delivering the webhook outbox). The holder renews its lease
-- before each step; another replica takes the work over once the lease has expired (times in ms since the epoch).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
