-- Community policing records (case transfers, leads, ledgers), one JSON
-- document each, keyed by kind; soft-deleted with deleted_at.
CREATE TABLE community_records (
    agency_id TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, jurisdiction_id TEXT NOT NULL,
    doc TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, deleted_at BIGINT,
    PRIMARY KEY (agency_id, kind, id));
CREATE INDEX community_records_by_place ON community_records (agency_id, kind, jurisdiction_id);
-- Who did or read what, and why: append-only.
CREATE TABLE audit_log (
    agency_id TEXT NOT NULL, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    kind TEXT NOT NULL, record_id TEXT NOT NULL, reason TEXT);
CREATE INDEX audit_log_by_time ON audit_log (agency_id, at);
