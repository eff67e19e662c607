-- A unit's track: every position fix its device sent, at the device's time.
-- One fix per unit and instant, so a retried batch adds nothing.
CREATE TABLE fixes (
    agency_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    accuracy_m DOUBLE PRECISION,
    speed_mps DOUBLE PRECISION,
    heading_deg DOUBLE PRECISION,
    PRIMARY KEY (agency_id, unit_id, at)
);
