-- The audit log as several chains ("lanes", issue 15 item 3): a verification, a consent or a liveness attempt
-- appends to whichever lane is free, so replicas on one database no longer queue on a single head row. Each lane is
-- a chain of its own (rows numbered from 1 within it, its own head row, id = lane); lane 1 is the chain as it was.
-- audit_lanes says how many lanes exist, under a MAC (audit-chain key) once there is more than one, so a lane
-- cannot be removed whole without the key. Signed checkpoints cover every lane's head.
ALTER TABLE audit_log ADD COLUMN lane BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
ALTER TABLE audit_log ADD PRIMARY KEY (lane, seq);
CREATE INDEX audit_log_at ON audit_log (at);

ALTER TABLE audit_head DROP CONSTRAINT audit_head_id_check;
ALTER TABLE audit_head ADD CONSTRAINT audit_head_lane CHECK (id >= 1);

CREATE TABLE audit_lanes (
    id BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    lanes BIGINT NOT NULL CHECK (lanes >= 1),
    mac TEXT
);
INSERT INTO audit_lanes (id, lanes) VALUES (1, 1);
