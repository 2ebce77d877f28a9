-- PostgreSQL twin of migrations/sqlite/20261126000007_security_alerts.sql.
-- Security events are also alerts: queued once for the webhook (when one is configured), whoever raised them.
ALTER TABLE security_events ADD COLUMN alerted_at TEXT;
