-- What a community record is filed under, derived from its document when it
-- is written (community::filing), so that every register's list filters,
-- sorts and pages in the database: the station above its jurisdiction, its
-- workflow status, the instant after which it is overdue, and the standard
-- address it is registered at. `filed` is 0 for rows written before these
-- columns existed; the server files them in batches at start.
ALTER TABLE community_records ADD COLUMN station_id TEXT;
ALTER TABLE community_records ADD COLUMN status TEXT;
ALTER TABLE community_records ADD COLUMN overdue_after BIGINT;
ALTER TABLE community_records ADD COLUMN address_code TEXT;
ALTER TABLE community_records ADD COLUMN filed SMALLINT NOT NULL DEFAULT 0;
-- Lists are newest first with a (created_at, id) keyset cursor; one index
-- per way in: the whole register, one jurisdiction, one station, one status.
DROP INDEX community_records_by_place;
CREATE INDEX community_records_newest ON community_records (agency_id, kind, created_at, id);
CREATE INDEX community_records_in ON community_records (agency_id, kind, jurisdiction_id, created_at, id);
CREATE INDEX community_records_station ON community_records (agency_id, kind, station_id, created_at, id);
CREATE INDEX community_records_status ON community_records (agency_id, kind, status, created_at, id);
-- Who is registered at a standard address.
CREATE INDEX community_records_address ON community_records (agency_id, address_code, kind) WHERE address_code IS NOT NULL;
-- The retention purge walks each register oldest change first.
CREATE INDEX community_records_changed ON community_records (agency_id, kind, updated_at);
-- Rows still to file.
CREATE INDEX community_records_unfiled ON community_records (agency_id, filed) WHERE filed = 0;
