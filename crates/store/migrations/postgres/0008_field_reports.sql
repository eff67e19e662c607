-- Short reports from the scene, written on a unit's terminal, and their
-- photos (kept in the database with the incident: one backup holds all).
CREATE TABLE field_reports (
    agency_id TEXT NOT NULL,
    id TEXT NOT NULL,
    incident_id BIGINT NOT NULL,
    unit_id TEXT,
    author TEXT NOT NULL,
    at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (agency_id, id)
);
CREATE INDEX field_reports_incident ON field_reports (agency_id, incident_id, at);
CREATE TABLE report_photos (
    agency_id TEXT NOT NULL,
    report_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    at BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (agency_id, report_id, n)
);
