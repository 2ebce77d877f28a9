-- A state-database reference photo (ЦОИД / FinID) compared with the live face: the source the client named (NULL: no
-- reference was given) and the live-vs-reference cosine the decision rested on. The photo itself is never stored.
ALTER TABLE verifications ADD COLUMN reference_source TEXT;
ALTER TABLE verifications ADD COLUMN reference_similarity REAL;
