-- PostgreSQL twin of migrations/sqlite/20261202000008_login_hardening.sql (BIGINT for INTEGER).
-- Lockout back-off: lockouts since the last success or unlock (the next lasts longer, up to auth.lockout_max_secs),
-- and operator unlocks (a change also resets the in-memory per-username limit of every replica).
ALTER TABLE staff_users ADD COLUMN lockouts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff_users ADD COLUMN unlocks BIGINT NOT NULL DEFAULT 0;
-- Sessions end auth.session_max_lifetime_secs after sign-in whatever their activity. Sessions opened before this
-- migration have no recorded start and count as expired: their holders sign in again.
ALTER TABLE sessions ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
