-- Places the police import into the places index (the standard address
-- register, location markers), replaced whole per kind; names is a JSON array.
CREATE TABLE imported_places (
    agency_id TEXT NOT NULL, kind TEXT NOT NULL, seq BIGINT NOT NULL, label TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL, names TEXT NOT NULL,
    PRIMARY KEY (agency_id, kind, seq));
-- A place's history at call entry: past incidents within a small box.
CREATE INDEX incidents_lat ON incidents (agency_id, lat, lon);
