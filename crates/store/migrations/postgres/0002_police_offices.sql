-- Village and community police offices (警务室).
CREATE TABLE police_offices (
    agency_id TEXT NOT NULL, id TEXT NOT NULL, station_id TEXT NOT NULL, community_id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (agency_id, id));
