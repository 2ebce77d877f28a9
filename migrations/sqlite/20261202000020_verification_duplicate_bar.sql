-- The 1:N duplicate bar each verification's faces were searched at: it follows the gallery's size
-- (thresholds.duplicate_target_fpir), so the evidence record keeps the one in force then. NULL: nothing searched.
ALTER TABLE verifications ADD COLUMN duplicate_bar REAL;
