-- A unit's orders are its dispatch and release events; an acknowledgement
-- is an event naming the order it answers (ref_seq). Both read per unit.
ALTER TABLE events ADD COLUMN ref_seq BIGINT;
CREATE INDEX events_unit ON events (agency_id, unit_id, seq);
CREATE INDEX events_ref ON events (agency_id, unit_id, ref_seq);
