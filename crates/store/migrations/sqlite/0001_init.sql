-- pingan store, SQLite. Every row carries agency_id; incidents and events are
-- keyed with their time so the PostgreSQL schema can partition by month.
CREATE TABLE meta (
    agency_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (agency_id, key));
CREATE TABLE jurisdictions (
    agency_id TEXT NOT NULL, id TEXT NOT NULL, level TEXT NOT NULL, parent_id TEXT, doc TEXT NOT NULL,
    PRIMARY KEY (agency_id, id));
CREATE TABLE posts (
    agency_id TEXT NOT NULL, id TEXT NOT NULL, station_id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (agency_id, id));
CREATE TABLE units (
    agency_id TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, home_station TEXT NOT NULL,
    status TEXT NOT NULL, lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL,
    position_at BIGINT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (agency_id, id));
CREATE TABLE incidents (
    agency_id TEXT NOT NULL, id BIGINT NOT NULL, created_at BIGINT NOT NULL,
    status TEXT NOT NULL, kind TEXT NOT NULL, priority INTEGER NOT NULL, station_id TEXT,
    lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (agency_id, id, created_at));
CREATE INDEX incidents_status ON incidents (agency_id, status);
CREATE INDEX incidents_station ON incidents (agency_id, station_id, created_at);
CREATE TABLE events (
    agency_id TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL, actor TEXT NOT NULL,
    incident_id BIGINT, unit_id TEXT, kind TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (agency_id, seq, at));
CREATE INDEX events_incident ON events (agency_id, incident_id, seq);
CREATE TABLE idempotency (
    agency_id TEXT NOT NULL, key TEXT NOT NULL, incident_id BIGINT NOT NULL, response TEXT NOT NULL,
    PRIMARY KEY (agency_id, key));
CREATE TABLE users (
    agency_id TEXT NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL, scope_id TEXT,
    display_name TEXT NOT NULL, password_hash TEXT NOT NULL, disabled INTEGER NOT NULL,
    PRIMARY KEY (agency_id, username));
CREATE TABLE sessions (
    token_hash TEXT NOT NULL PRIMARY KEY, agency_id TEXT NOT NULL, username TEXT NOT NULL,
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE INDEX sessions_user ON sessions (agency_id, username);
