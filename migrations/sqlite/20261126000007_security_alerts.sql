-- Security events are also alerts: queued once for the webhook (when one is configured), whoever raised them.
ALTER TABLE security_events ADD COLUMN alerted_at TEXT;
