-- Repeated failed logins lock a staff account for a back-off period that doubles with each further failure.
ALTER TABLE staff_users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff_users ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;
