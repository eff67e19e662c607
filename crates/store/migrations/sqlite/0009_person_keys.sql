-- The keys an identity check (核查身份) finds people by: identity numbers,
-- phones and folded names of the personal registers' records, one row per
-- key and place in the record, written with the record. A search is a
-- look-up (exact) or a range scan (a name's prefix) of the primary key.
CREATE TABLE person_keys (
    agency_id TEXT NOT NULL,
    key_kind TEXT NOT NULL,
    value TEXT NOT NULL,
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    jurisdiction_id TEXT NOT NULL,
    PRIMARY KEY (agency_id, key_kind, value, kind, record_id, field)
);
CREATE INDEX person_keys_by_record ON person_keys (agency_id, kind, record_id);
