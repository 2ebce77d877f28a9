-- A staff member's console language (en, ru or kk); NULL: the browser's Accept-Language decides.
ALTER TABLE staff_users ADD COLUMN language TEXT CHECK (language IN ('en', 'ru', 'kk'));
