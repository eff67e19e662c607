//! The durable store of dispatch: SQLite by default (one file, WAL, full
//! fsync) and PostgreSQL to scale out, behind one API and one schema.
//!
//! Writes of live state go through a single writer task that commits
//! whatever has queued up in one transaction (group commit): a caller's
//! [`Store::commit`] returns only after its transaction is on disk, so an
//! acknowledged incident survives a crash, while thousands of callers share
//! each fsync. Every change is also an append-only event row.
//!
//! It does not decide anything: what to write comes from the dispatch engine.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use dispatch::engine::Snapshot;
use dispatch::{Changes, Event, Incident, Jurisdiction, PoliceOffice, Post, Unit};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row};
use tokio::sync::{mpsc, oneshot};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one we understand.
    #[error("database URL {0:?}: expected sqlite://<file> or postgres://user@host/db")]
    Url(String),
    /// The database refused or failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A stored document could not be read back.
    #[error("stored {what} {id} is unreadable: {source}")]
    Corrupt {
        /// Table.
        what: &'static str,
        /// Row.
        id: String,
        /// Why.
        source: serde_json::Error,
    },
    /// The writer task is gone (the store is shutting down).
    #[error("the store writer has stopped")]
    WriterGone,
    /// An importer's stream failed part way; nothing of it was written.
    #[error("import abandoned, nothing written: {0}")]
    Abandoned(String),
}

/// A staff account as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// Login.
    pub username: String,
    /// Role name.
    pub role: String,
    /// Jurisdiction scope (`None`: whole agency).
    pub scope: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// A field terminal's account: the one unit it belongs to (role `unit`).
    pub unit_id: Option<String>,
}

/// An order to a unit as stored: the event that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    /// Its sequence number (the event's; increasing per unit).
    pub seq: i64,
    /// When it was issued (server time).
    pub at: i64,
    /// The incident it concerns.
    pub incident_id: Option<i64>,
    /// The event's name, one of [`dispatch::ORDER_EVENTS`].
    pub kind: String,
    /// When the unit's terminal acknowledged it (server time).
    pub acked_at: Option<i64>,
    /// When it first reached the unit's terminal (server time).
    pub delivered_at: Option<i64>,
    /// A message's text.
    pub text: Option<String>,
    /// A reinforcement answer's units on their way.
    pub units: Vec<String>,
}

impl OrderRecord {
    /// The order event `e` gives, not yet delivered or acknowledged
    /// (`None` for an event that is no order).
    pub fn issued(e: &Event) -> Option<OrderRecord> {
        use dispatch::EventKind as K;
        if !e.kind.is_order() {
            return None;
        }
        Some(OrderRecord {
            seq: e.seq,
            at: e.at,
            incident_id: e.incident_id,
            kind: e.name().to_string(),
            acked_at: None,
            delivered_at: None,
            text: match &e.kind {
                K::MessageToUnit { text } => Some(text.clone()),
                _ => None,
            },
            units: match &e.kind {
                K::ReinforcementAnswered { units, .. } => units.clone(),
                _ => vec![],
            },
        })
    }
}

/// A short report from the scene.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldReport {
    /// Its id (the writer's idempotency key, so a retry finds it).
    pub id: String,
    /// The incident.
    pub incident_id: i64,
    /// The unit whose terminal wrote it.
    pub unit_id: Option<String>,
    /// The account.
    pub author: String,
    /// The device's time.
    pub at: i64,
    /// When the server received it.
    pub received_at: i64,
    /// What it says.
    pub text: String,
    /// Its photos: (n, content type, bytes, SHA-256 hex).
    pub photos: Vec<PhotoMeta>,
}

/// A photo of a report, without its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoMeta {
    /// Its number within the report.
    pub n: i64,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// A login session as stored (the token itself is never stored, only its hash).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Whose.
    pub username: String,
    /// Created.
    pub created_at: i64,
    /// Expires.
    pub expires_at: i64,
    /// Revoked, if it was.
    pub revoked_at: Option<i64>,
}

#[derive(Clone)]
enum Pool {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Pg(PgPool),
}

macro_rules! on {
    ($pool:expr, read $p:ident => $body:expr) => {
        match $pool {
            Pool::Sqlite { read: $p, .. } => $body,
            Pool::Pg($p) => $body,
        }
    };
    ($pool:expr, write $p:ident => $body:expr) => {
        match $pool {
            Pool::Sqlite { write: $p, .. } => $body,
            Pool::Pg($p) => $body,
        }
    };
}

/// A `users` row (`username, role, scope_id, display_name, password_hash,
/// disabled, unit_id`) of either backend.
macro_rules! user_record {
    ($r:expr) => {
        UserRecord {
            username: $r.get(0),
            role: $r.get(1),
            scope: $r.get(2),
            display_name: $r.get(3),
            password_hash: $r.get(4),
            disabled: $r.get::<i32, _>(5) != 0,
            unit_id: $r.get(6),
        }
    };
}

/// An `orders_select!` row of either backend.
macro_rules! order_record {
    ($r:expr) => {{
        let issued = serde_json::from_str::<Event>(&$r.get::<String, _>(6))
            .ok()
            .and_then(|e| OrderRecord::issued(&e));
        OrderRecord {
            seq: $r.get(0),
            at: $r.get(1),
            incident_id: $r.get(2),
            kind: $r.get(3),
            acked_at: $r.get(4),
            delivered_at: $r.get(5),
            text: issued.as_ref().and_then(|o| o.text.clone()),
            units: issued.map(|o| o.units).unwrap_or_default(),
        }
    }};
}

struct Job {
    changes: Changes,
    reply: Option<oneshot::Sender<Result<(), String>>>,
    /// Passed on to the commit feed once durable (positions, written in
    /// batches, are not).
    announce: bool,
}

/// Where committed changes go, in commit order (see [`Store::committed`]).
type CommitFeed = Arc<std::sync::Mutex<Option<mpsc::UnboundedSender<Arc<Changes>>>>>;

/// The store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    agency: String,
    writer: mpsc::UnboundedSender<Job>,
    commits: CommitFeed,
    /// The station above each jurisdiction (records are filed under it).
    stations: Arc<std::sync::RwLock<Stations>>,
}

/// Jurisdiction id to the station at or above it.
type Stations = std::collections::HashMap<String, String>;

/// The station at or above every jurisdiction of a tree.
fn stations_of(all: &[Jurisdiction]) -> Stations {
    let by_id: std::collections::HashMap<&str, &Jurisdiction> =
        all.iter().map(|j| (j.id.as_str(), j)).collect();
    let mut out = Stations::new();
    for j in all {
        let mut cur = Some(j);
        // A tree is at most five levels deep; the bound guards a cycle.
        for _ in 0..8 {
            let Some(c) = cur else { break };
            if c.level == dispatch::Level::Station {
                out.insert(j.id.clone(), c.id.clone());
                break;
            }
            cur = c.parent_id.as_deref().and_then(|p| by_id.get(p).copied());
        }
    }
    out
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("agency", &self.agency)
            .finish()
    }
}

const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../migrations/sqlite/0002_police_offices.sql"),
    ),
    (3, include_str!("../migrations/sqlite/0003_community.sql")),
    (
        4,
        include_str!("../migrations/sqlite/0004_imported_places.sql"),
    ),
    (
        5,
        include_str!("../migrations/sqlite/0005_unit_accounts.sql"),
    ),
    (6, include_str!("../migrations/sqlite/0006_unit_orders.sql")),
    (7, include_str!("../migrations/sqlite/0007_tracks.sql")),
    (
        8,
        include_str!("../migrations/sqlite/0008_field_reports.sql"),
    ),
    (9, include_str!("../migrations/sqlite/0009_person_keys.sql")),
    (
        10,
        include_str!("../migrations/sqlite/0010_record_filing.sql"),
    ),
    (
        11,
        include_str!("../migrations/sqlite/0011_address_codes.sql"),
    ),
    (
        12,
        include_str!("../migrations/sqlite/0012_record_windows.sql"),
    ),
];
const PG_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_police_offices.sql"),
    ),
    (3, include_str!("../migrations/postgres/0003_community.sql")),
    (
        4,
        include_str!("../migrations/postgres/0004_imported_places.sql"),
    ),
    (
        5,
        include_str!("../migrations/postgres/0005_unit_accounts.sql"),
    ),
    (
        6,
        include_str!("../migrations/postgres/0006_unit_orders.sql"),
    ),
    (7, include_str!("../migrations/postgres/0007_tracks.sql")),
    (
        8,
        include_str!("../migrations/postgres/0008_field_reports.sql"),
    ),
    (
        9,
        include_str!("../migrations/postgres/0009_person_keys.sql"),
    ),
    (
        10,
        include_str!("../migrations/postgres/0010_record_filing.sql"),
    ),
    (
        11,
        include_str!("../migrations/postgres/0011_address_codes.sql"),
    ),
    (
        12,
        include_str!("../migrations/postgres/0012_record_windows.sql"),
    ),
];

const UPSERT_INCIDENT: &str = "INSERT INTO incidents (agency_id, id, created_at, status, kind, priority, station_id, lat, lon, doc) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (agency_id, id, created_at) DO UPDATE SET status = excluded.status, kind = excluded.kind, \
     priority = excluded.priority, station_id = excluded.station_id, lat = excluded.lat, lon = excluded.lon, doc = excluded.doc";
const UPSERT_UNIT: &str = "INSERT INTO units (agency_id, id, kind, home_station, status, lat, lon, position_at, doc) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (agency_id, id) DO UPDATE SET kind = excluded.kind, home_station = excluded.home_station, \
     status = excluded.status, lat = excluded.lat, lon = excluded.lon, position_at = excluded.position_at, doc = excluded.doc";
const INSERT_EVENT: &str = "INSERT INTO events (agency_id, seq, at, actor, incident_id, unit_id, kind, doc, ref_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// The event an event answers (an acknowledgement's order).
fn ref_seq(e: &Event) -> Option<i64> {
    match e.kind {
        dispatch::EventKind::OrderAcknowledged { order_seq, .. }
        | dispatch::EventKind::OrderDelivered { order_seq }
        | dispatch::EventKind::OrderResent { order_seq } => Some(order_seq),
        _ => None,
    }
}

/// A unit's orders: `seq, at, incident_id, kind, acked_at` (the first
/// acknowledgement's server time); the conditions follow.
macro_rules! orders_select {
    () => {
        "SELECT o.seq, o.at, o.incident_id, o.kind, \
         (SELECT MIN(a.at) FROM events a WHERE a.agency_id = o.agency_id AND a.unit_id = o.unit_id \
          AND a.kind = 'order_acknowledged' AND a.ref_seq = o.seq), \
         (SELECT MIN(d.at) FROM events d WHERE d.agency_id = o.agency_id AND d.unit_id = o.unit_id \
          AND d.kind = 'order_delivered' AND d.ref_seq = o.seq), o.doc \
         FROM events o WHERE o.agency_id = $1 AND o.unit_id = $2 \
         AND o.kind IN ('unit_dispatched', 'unit_released', 'reinforcement_answered', 'message_to_unit')"
    };
}
const ORDERS_AFTER: &str = concat!(orders_select!(), " AND o.seq > $3 ORDER BY o.seq LIMIT $4");
const ORDER: &str = concat!(orders_select!(), " AND o.seq = $3");
const INSERT_FIX: &str = "INSERT INTO fixes (agency_id, unit_id, at, received_at, lat, lon, accuracy_m, speed_mps, heading_deg) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (agency_id, unit_id, at) DO NOTHING";
const TRACK: &str = "SELECT unit_id, at, received_at, lat, lon, accuracy_m, speed_mps, heading_deg FROM fixes \
     WHERE agency_id = $1 AND unit_id = $2 AND at >= $3 AND at < $4 ORDER BY at LIMIT $5";
const INSERT_KEY: &str = "INSERT INTO idempotency (agency_id, key, incident_id, response) VALUES ($1, $2, $3, $4) ON CONFLICT (agency_id, key) DO NOTHING";

fn doc<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain records serialise")
}

macro_rules! apply {
    ($conn:expr, $agency:expr, $ch:expr) => {{
        for i in &$ch.incidents {
            sqlx::query(UPSERT_INCIDENT)
                .bind($agency)
                .bind(i.id)
                .bind(i.created_at)
                .bind(i.status.as_str())
                .bind(&i.kind)
                .bind(i.priority as i32)
                .bind(&i.place.station_id)
                .bind(i.lat)
                .bind(i.lon)
                .bind(doc(i))
                .execute(&mut *$conn)
                .await?;
        }
        for u in &$ch.units {
            sqlx::query(UPSERT_UNIT)
                .bind($agency)
                .bind(&u.id)
                .bind(u.kind.as_str())
                .bind(&u.home_station)
                .bind(u.status.as_str())
                .bind(u.lat)
                .bind(u.lon)
                .bind(u.position_at)
                .bind(doc(u))
                .execute(&mut *$conn)
                .await?;
        }
        for e in &$ch.events {
            sqlx::query(INSERT_EVENT)
                .bind($agency)
                .bind(e.seq)
                .bind(e.at)
                .bind(&e.actor)
                .bind(e.incident_id)
                .bind(&e.unit_id)
                .bind(e.name())
                .bind(doc(e))
                .bind(ref_seq(e))
                .execute(&mut *$conn)
                .await?;
        }
        for f in &$ch.fixes {
            sqlx::query(INSERT_FIX)
                .bind($agency)
                .bind(&f.unit_id)
                .bind(f.at)
                .bind(f.received_at)
                .bind(f.lat)
                .bind(f.lon)
                .bind(f.accuracy_m)
                .bind(f.speed_mps)
                .bind(f.heading_deg)
                .execute(&mut *$conn)
                .await?;
        }
        for (key, incident, response) in &$ch.idempotency {
            sqlx::query(INSERT_KEY)
                .bind($agency)
                .bind(key)
                .bind(incident)
                .bind(response)
                .execute(&mut *$conn)
                .await?;
        }
    }};
}

async fn write_batch(pool: &Pool, agency: &str, jobs: &[&Changes]) -> Result<(), sqlx::Error> {
    on!(pool, write p => {
        let mut tx = p.begin().await?;
        for ch in jobs {
            apply!(tx, agency, ch);
        }
        tx.commit().await
    })
}

fn announce(commits: &CommitFeed, job: Job) {
    if job.announce
        && !job.changes.is_empty()
        && let Some(tx) = commits.lock().expect("commit feed").as_ref()
    {
        let _ = tx.send(Arc::new(job.changes));
    }
}

async fn writer(
    pool: Pool,
    agency: String,
    mut rx: mpsc::UnboundedReceiver<Job>,
    commits: CommitFeed,
) {
    const MAX_BATCH: usize = 1024;
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let all: Vec<&Changes> = jobs.iter().map(|j| &j.changes).collect();
        match write_batch(&pool, &agency, &all).await {
            Ok(()) => {
                // Announced before the answer: once a commit is acknowledged, it is on the feed.
                for mut j in jobs {
                    let reply = j.reply.take();
                    announce(&commits, j);
                    if let Some(r) = reply {
                        let _ = r.send(Ok(()));
                    }
                }
            }
            Err(e) if jobs.len() > 1 => {
                // One bad job must not fail its neighbours: retry them one by one.
                tracing::warn!(message = "group commit failed; retrying jobs one by one", error = %e, jobs = jobs.len());
                for mut j in jobs {
                    let r = write_batch(&pool, &agency, &[&j.changes])
                        .await
                        .map_err(|e| e.to_string());
                    let reply = j.reply.take();
                    if r.is_ok() {
                        announce(&commits, j);
                    }
                    if let Some(reply) = reply {
                        let _ = reply.send(r);
                    }
                }
            }
            Err(e) => {
                tracing::error!(message = "store write failed", error = %e);
                for j in jobs {
                    if let Some(r) = j.reply {
                        let _ = r.send(Err(e.to_string()));
                    }
                }
            }
        }
    }
}

fn month_start(y: i64, m: i64) -> i64 {
    let (y, m) = if m > 12 {
        (y + 1, m - 12)
    } else if m < 1 {
        (y - 1, m + 12)
    } else {
        (y, m)
    };
    dispatch::time::parse_rfc3339(&format!("{y:04}-{m:02}-01")).expect("valid date")
}

impl Store {
    /// Opens (creating and migrating if needed) `url`: `sqlite://path/to/file.db`
    /// or `postgres://user@host:port/db`. `agency` scopes every row.
    pub async fn open(url: &str, agency: &str) -> Result<Store, StoreError> {
        let pool = if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .pragma("foreign_keys", "ON")
                .disable_statement_logging();
            // The one writer keeps a larger page cache (64 MiB, a bound,
            // not a share of the data): a batch's index pages stay in
            // memory instead of being read back from the file.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(
                    opts.clone()
                        .pragma("cache_size", "-65536")
                        .pragma("temp_store", "MEMORY"),
                )
                .await?;
            migrate(
                &Pool::Sqlite {
                    read: write.clone(),
                    write: write.clone(),
                },
                SQLITE_MIGRATIONS,
            )
            .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts.read_only(true))
                .await?;
            Pool::Sqlite { read, write }
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)
                .map_err(|_| StoreError::Url(url.into()))?
                .disable_statement_logging();
            let pg = PgPoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await?;
            let pool = Pool::Pg(pg.clone());
            migrate(&pool, PG_MIGRATIONS).await?;
            Self::ensure_partitions(&pg).await?;
            pool
        } else {
            return Err(StoreError::Url(url.into()));
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let commits = CommitFeed::default();
        tokio::spawn(writer(
            pool.clone(),
            agency.to_string(),
            rx,
            commits.clone(),
        ));
        let store = Store {
            pool,
            agency: agency.to_string(),
            writer: tx,
            commits,
            stations: Arc::default(),
        };
        let tree = store.jurisdictions().await?;
        *store.stations.write().expect("not poisoned") = stations_of(&tree);
        Ok(store)
    }

    /// The station a record filed under `jurisdiction` belongs to.
    fn station_of(&self, jurisdiction: &str) -> Option<String> {
        self.stations
            .read()
            .expect("not poisoned")
            .get(jurisdiction)
            .cloned()
    }

    /// Monthly partitions for last month to two months ahead.
    async fn ensure_partitions(pg: &PgPool) -> Result<(), StoreError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let ym = dispatch::time::month_of(now);
        let (y, m): (i64, i64) = (
            ym[..4].parse().unwrap_or(2026),
            ym[5..].parse().unwrap_or(1),
        );
        for dm in -1..=2 {
            let (from, to) = (month_start(y, m + dm), month_start(y, m + dm + 1));
            let name = dispatch::time::month_of(from).replace('-', "_");
            for (table, _col) in [("incidents", "created_at"), ("events", "at")] {
                let sql = format!(
                    "CREATE TABLE IF NOT EXISTS {table}_{name} PARTITION OF {table} FOR VALUES FROM ({from}) TO ({to})"
                );
                if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pg).await {
                    // Rows of that month already sit in the default partition: keep them there.
                    tracing::warn!(message = "monthly partition not created", table, month = %name, error = %e);
                }
            }
        }
        Ok(())
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite { .. } => "sqlite",
            Pool::Pg(_) => "postgres",
        }
    }

    /// The agency every row belongs to.
    pub fn agency(&self) -> &str {
        &self.agency
    }

    /// Writes `changes` in the next group commit; returns once they are durable.
    pub async fn commit(&self, changes: Changes) -> Result<(), StoreError> {
        self.submit(changes).await
    }

    /// The changes of every [`Store::submit`] and [`Store::commit`], each
    /// sent once it is durable, in commit order (which is submission
    /// order); not the batched [`Store::commit_later`]. One receiver at a
    /// time: a new call replaces the previous one.
    pub fn committed(&self) -> mpsc::UnboundedReceiver<Arc<Changes>> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.commits.lock().expect("commit feed") = Some(tx);
        rx
    }

    /// Returns once everything queued before it is durable (or failed).
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .send(Job {
                changes: Changes::default(),
                reply: Some(tx),
                announce: false,
            })
            .map_err(|_| StoreError::WriterGone)?;
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(msg)) => Err(StoreError::Db(sqlx::Error::Protocol(msg))),
            Err(_) => Err(StoreError::WriterGone),
        }
    }

    /// Queues `changes` now (so the order of calls is the order of writes)
    /// and returns a future that resolves once they are durable.
    pub fn submit(
        &self,
        changes: Changes,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static {
        let queued = if changes.is_empty() {
            None
        } else {
            let (tx, rx) = oneshot::channel();
            Some(
                self.writer
                    .send(Job {
                        changes,
                        reply: Some(tx),
                        announce: true,
                    })
                    .map(|_| rx),
            )
        };
        async move {
            match queued {
                None => Ok(()),
                Some(Err(_)) => Err(StoreError::WriterGone),
                Some(Ok(rx)) => match rx.await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(msg)) => Err(StoreError::Db(sqlx::Error::Protocol(msg))),
                    Err(_) => Err(StoreError::WriterGone),
                },
            }
        }
    }

    /// Queues `changes` without waiting (soft state such as positions).
    pub fn commit_later(&self, changes: Changes) {
        if !changes.is_empty() {
            let _ = self.writer.send(Job {
                changes,
                reply: None,
                announce: false,
            });
        }
    }

    /// Everything the engine starts from.
    pub async fn load(&self) -> Result<Snapshot, StoreError> {
        let a = &self.agency;
        let incidents: Vec<(i64, String)> = on!(&self.pool, read p => sqlx::query_as("SELECT id, doc FROM incidents WHERE agency_id = $1 ORDER BY id").bind(a).fetch_all(p).await)?;
        let units: Vec<(String, String)> = on!(&self.pool, read p => sqlx::query_as("SELECT id, doc FROM units WHERE agency_id = $1 ORDER BY id").bind(a).fetch_all(p).await)?;
        let keys: Vec<(String, i64, String)> = on!(&self.pool, read p => sqlx::query_as("SELECT key, incident_id, response FROM idempotency WHERE agency_id = $1").bind(a).fetch_all(p).await)?;
        let max_seq: Option<i64> = on!(&self.pool, read p => sqlx::query_scalar("SELECT MAX(seq) FROM events WHERE agency_id = $1").bind(a).fetch_one(p).await)?;
        Ok(Snapshot {
            incidents: incidents
                .into_iter()
                .map(|(id, d)| parse("incident", id, &d))
                .collect::<Result<_, _>>()?,
            units: units
                .into_iter()
                .map(|(id, d)| parse("unit", id, &d))
                .collect::<Result<_, _>>()?,
            posts: self.posts().await?,
            idempotency: keys,
            max_seq: max_seq.unwrap_or(0),
        })
    }

    /// One incident as stored.
    pub async fn incident(&self, id: i64) -> Result<Option<Incident>, StoreError> {
        let row: Option<String> = on!(&self.pool, read p => sqlx::query_scalar("SELECT doc FROM incidents WHERE agency_id = $1 AND id = $2").bind(&self.agency).bind(id).fetch_optional(p).await)?;
        row.map(|d| parse("incident", id, &d)).transpose()
    }

    /// The newest `limit` incidents since `since` (ms) inside a box of
    /// latitudes and longitudes (a place's history at call entry), newest
    /// first; filtered, sorted and limited in the database.
    pub async fn incidents_in_box(
        &self,
        lat: (f64, f64),
        lon: (f64, f64),
        since: i64,
        limit: i64,
    ) -> Result<Vec<Incident>, StoreError> {
        let rows: Vec<(i64, String)> = on!(&self.pool, read p => sqlx::query_as(
            "SELECT id, doc FROM incidents WHERE agency_id = $1 AND lat BETWEEN $2 AND $3 AND lon BETWEEN $4 AND $5 \
             AND created_at >= $6 ORDER BY created_at DESC, id DESC LIMIT $7")
            .bind(&self.agency).bind(lat.0).bind(lat.1).bind(lon.0).bind(lon.1).bind(since).bind(limit)
            .fetch_all(p).await)?;
        rows.into_iter()
            .map(|(id, d)| parse("incident", id, &d))
            .collect()
    }

    /// Every stored incident id (for checks).
    pub async fn incident_ids(&self) -> Result<Vec<i64>, StoreError> {
        Ok(
            on!(&self.pool, read p => sqlx::query_scalar("SELECT id FROM incidents WHERE agency_id = $1 ORDER BY id").bind(&self.agency).fetch_all(p).await)?,
        )
    }

    /// The events of the given incidents, in order: their timeline.
    pub async fn timeline(&self, incident_ids: &[i64]) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::new();
        for id in incident_ids {
            let rows: Vec<(i64, String)> = on!(&self.pool, read p => sqlx::query_as("SELECT seq, doc FROM events WHERE agency_id = $1 AND incident_id = $2 ORDER BY seq").bind(&self.agency).bind(id).fetch_all(p).await)?;
            for (seq, d) in rows {
                out.push(parse("event", seq, &d)?);
            }
        }
        out.sort_by_key(|e: &Event| e.seq);
        Ok(out)
    }

    /// Events after `seq`, at most `limit` (for replaying a feed).
    pub async fn events_after(&self, seq: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<(i64, String)> = on!(&self.pool, read p => sqlx::query_as("SELECT seq, doc FROM events WHERE agency_id = $1 AND seq > $2 ORDER BY seq LIMIT $3").bind(&self.agency).bind(seq).bind(limit).fetch_all(p).await)?;
        rows.into_iter()
            .map(|(s, d)| parse("event", s, &d))
            .collect()
    }

    /// Stores a report unless one with its id exists; answers the stored one.
    pub async fn put_report(&self, r: &FieldReport) -> Result<FieldReport, StoreError> {
        on!(&self.pool, write p => sqlx::query("INSERT INTO field_reports (agency_id, id, incident_id, unit_id, author, at, received_at, text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (agency_id, id) DO NOTHING")
            .bind(&self.agency).bind(&r.id).bind(r.incident_id).bind(&r.unit_id).bind(&r.author).bind(r.at).bind(r.received_at).bind(&r.text)
            .execute(p).await.map(|_| ()))?;
        Ok(self.report(&r.id).await?.expect("just stored"))
    }

    /// One report with its photos' metadata.
    pub async fn report(&self, id: &str) -> Result<Option<FieldReport>, StoreError> {
        let row: Option<ReportRow> = on!(&self.pool, read p => sqlx::query_as(
            "SELECT id, incident_id, unit_id, author, at, received_at, text FROM field_reports WHERE agency_id = $1 AND id = $2")
            .bind(&self.agency).bind(id).fetch_optional(p).await)?;
        let Some(row) = row else { return Ok(None) };
        let mut r = report_of(row);
        r.photos = self.photos(&r.id).await?;
        Ok(Some(r))
    }

    /// An incident's reports, oldest first, at most `limit`.
    pub async fn reports(
        &self,
        incident_id: i64,
        limit: i64,
    ) -> Result<Vec<FieldReport>, StoreError> {
        let rows: Vec<ReportRow> = on!(&self.pool, read p => sqlx::query_as(
            "SELECT id, incident_id, unit_id, author, at, received_at, text FROM field_reports WHERE agency_id = $1 AND incident_id = $2 ORDER BY at, id LIMIT $3")
            .bind(&self.agency).bind(incident_id).bind(limit).fetch_all(p).await)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut r = report_of(row);
            r.photos = self.photos(&r.id).await?;
            out.push(r);
        }
        Ok(out)
    }

    async fn photos(&self, report_id: &str) -> Result<Vec<PhotoMeta>, StoreError> {
        let rows: Vec<(i64, String, i64, String)> = on!(&self.pool, read p => sqlx::query_as(
            "SELECT CAST(n AS BIGINT), content_type, size, sha256 FROM report_photos WHERE agency_id = $1 AND report_id = $2 ORDER BY n")
            .bind(&self.agency).bind(report_id).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(n, content_type, size, sha256)| PhotoMeta {
                n,
                content_type,
                size,
                sha256,
            })
            .collect())
    }

    /// Stores photo `n` of a report unless it is there; answers what is
    /// stored for `n` (the caller compares hashes to tell a retry from a clash).
    pub async fn put_photo(
        &self,
        report_id: &str,
        meta: &PhotoMeta,
        at: i64,
        bytes: &[u8],
    ) -> Result<PhotoMeta, StoreError> {
        on!(&self.pool, write p => sqlx::query("INSERT INTO report_photos (agency_id, report_id, n, content_type, size, sha256, at, bytes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (agency_id, report_id, n) DO NOTHING")
            .bind(&self.agency).bind(report_id).bind(meta.n as i32).bind(&meta.content_type).bind(meta.size).bind(&meta.sha256).bind(at).bind(bytes)
            .execute(p).await.map(|_| ()))?;
        Ok(self
            .photos(report_id)
            .await?
            .into_iter()
            .find(|m| m.n == meta.n)
            .expect("just stored"))
    }

    /// A photo's content type and bytes.
    pub async fn photo(
        &self,
        report_id: &str,
        n: i64,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row: Option<(String, Vec<u8>)> = on!(&self.pool, read p => sqlx::query_as(
            "SELECT content_type, bytes FROM report_photos WHERE agency_id = $1 AND report_id = $2 AND n = $3")
            .bind(&self.agency).bind(report_id).bind(n as i32).fetch_optional(p).await)?;
        Ok(row)
    }

    /// Unit `unit_id`'s messages (to it and from it) after `seq`, oldest
    /// first, at most `limit`.
    pub async fn unit_messages(
        &self,
        unit_id: &str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<(i64, String)> = on!(&self.pool, read p => sqlx::query_as(
            "SELECT seq, doc FROM events WHERE agency_id = $1 AND unit_id = $2 AND seq > $3 \
             AND kind IN ('message_to_unit', 'message_from_unit') ORDER BY seq LIMIT $4")
            .bind(&self.agency).bind(unit_id).bind(seq).bind(limit).fetch_all(p).await)?;
        rows.into_iter()
            .map(|(s, d)| parse("event", s, &d))
            .collect()
    }

    /// Replaces the jurisdiction tree.
    /// Records filed under a jurisdiction whose station changed are filed
    /// under the new one in the same transaction.
    pub async fn put_jurisdictions(&self, all: &[Jurisdiction]) -> Result<(), StoreError> {
        let stations = stations_of(all);
        let moved: Vec<(String, Option<String>)> = {
            let old = self.stations.read().expect("not poisoned");
            let mut ids: Vec<&String> = old.keys().chain(stations.keys()).collect();
            ids.sort();
            ids.dedup();
            ids.into_iter()
                .filter(|j| old.get(*j) != stations.get(*j))
                .map(|j| (j.clone(), stations.get(j).cloned()))
                .collect()
        };
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM jurisdictions WHERE agency_id = $1").bind(&self.agency).execute(&mut *tx).await?;
            for j in all {
                sqlx::query("INSERT INTO jurisdictions (agency_id, id, level, parent_id, doc) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&self.agency).bind(&j.id).bind(j.level.as_str()).bind(&j.parent_id).bind(doc(j))
                    .execute(&mut *tx).await?;
            }
            for (j, station) in &moved {
                sqlx::query("UPDATE community_records SET station_id = $3 WHERE agency_id = $1 AND jurisdiction_id = $2")
                    .bind(&self.agency).bind(j).bind(station).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        *self.stations.write().expect("not poisoned") = stations;
        Ok(())
    }

    /// The jurisdiction tree, parents first.
    pub async fn jurisdictions(&self) -> Result<Vec<Jurisdiction>, StoreError> {
        let rows: Vec<(String, String)> = on!(&self.pool, read p => sqlx::query_as("SELECT id, doc FROM jurisdictions WHERE agency_id = $1").bind(&self.agency).fetch_all(p).await)?;
        let mut all: Vec<Jurisdiction> = rows
            .into_iter()
            .map(|(id, d)| parse("jurisdiction", id, &d))
            .collect::<Result<_, _>>()?;
        all.sort_by(|a, b| (a.level, &a.id).cmp(&(b.level, &b.id)));
        Ok(all)
    }

    /// Replaces the posts.
    pub async fn put_posts(&self, posts: &[Post]) -> Result<(), StoreError> {
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM posts WHERE agency_id = $1").bind(&self.agency).execute(&mut *tx).await?;
            for post in posts {
                sqlx::query("INSERT INTO posts (agency_id, id, station_id, doc) VALUES ($1, $2, $3, $4)")
                    .bind(&self.agency).bind(&post.id).bind(&post.station_id).bind(doc(post))
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Patrol posts.
    pub async fn posts(&self) -> Result<Vec<Post>, StoreError> {
        let rows: Vec<(String, String)> = on!(&self.pool, read p => sqlx::query_as("SELECT id, doc FROM posts WHERE agency_id = $1 ORDER BY id").bind(&self.agency).fetch_all(p).await)?;
        rows.into_iter()
            .map(|(id, d)| parse("post", id, &d))
            .collect()
    }

    /// Replaces the police offices.
    pub async fn put_police_offices(&self, offices: &[PoliceOffice]) -> Result<(), StoreError> {
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM police_offices WHERE agency_id = $1").bind(&self.agency).execute(&mut *tx).await?;
            for o in offices {
                sqlx::query("INSERT INTO police_offices (agency_id, id, station_id, community_id, doc) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&self.agency).bind(&o.id).bind(&o.station_id).bind(&o.community_id).bind(doc(o))
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds or replaces one police office and appends an audit entry, in one
    /// transaction (the registry is edited office by office).
    pub async fn put_police_office(
        &self,
        o: &PoliceOffice,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM police_offices WHERE agency_id = $1 AND id = $2").bind(&self.agency).bind(&o.id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO police_offices (agency_id, id, station_id, community_id, doc) VALUES ($1, $2, $3, $4, $5)")
                .bind(&self.agency).bind(&o.id).bind(&o.station_id).bind(&o.community_id).bind(doc(o))
                .execute(&mut *tx).await?;
            insert_audit(&mut tx, &self.agency, audit).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Police offices.
    pub async fn police_offices(&self) -> Result<Vec<PoliceOffice>, StoreError> {
        let rows: Vec<(String, String)> = on!(&self.pool, read p => sqlx::query_as("SELECT id, doc FROM police_offices WHERE agency_id = $1 ORDER BY id").bind(&self.agency).fetch_all(p).await)?;
        rows.into_iter()
            .map(|(id, d)| parse("police office", id, &d))
            .collect()
    }

    /// Replaces every imported place of `kind` (the standard address
    /// register, the markers) and appends the audit entry, in one
    /// transaction: readers see the old register or the new, never a mix.
    pub async fn replace_imported_places(
        &self,
        kind: &str,
        places: &[ImportedPlace],
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM imported_places WHERE agency_id = $1 AND kind = $2").bind(&self.agency).bind(kind).execute(&mut *tx).await?;
            for (seq, x) in places.iter().enumerate() {
                sqlx::query("INSERT INTO imported_places (agency_id, kind, seq, label, lat, lon, names, code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(&self.agency).bind(kind).bind(seq as i64).bind(&x.label).bind(x.lat).bind(x.lon).bind(doc(&x.names)).bind(&x.code)
                    .execute(&mut *tx).await?;
            }
            insert_audit(&mut tx, &self.agency, audit).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every imported place, by kind and in the order imported (the index
    /// is built from them at start).
    pub async fn imported_places(&self) -> Result<Vec<(String, ImportedPlace)>, StoreError> {
        type Row = (String, i64, String, f64, f64, String, Option<String>);
        let rows: Vec<Row> = on!(&self.pool, read p => sqlx::query_as("SELECT kind, seq, label, lat, lon, names, code FROM imported_places WHERE agency_id = $1 ORDER BY kind, seq").bind(&self.agency).fetch_all(p).await)?;
        rows.into_iter()
            .map(|(kind, seq, label, lat, lon, names, code)| {
                let names = parse("imported place", seq, &names)?;
                Ok((
                    kind,
                    ImportedPlace {
                        label,
                        lat,
                        lon,
                        names,
                        code,
                    },
                ))
            })
            .collect()
    }

    /// The live community records of `kind` filed under one jurisdiction
    /// (a community's venues, a station's key persons), filtered in the
    /// database.
    pub async fn records_in(
        &self,
        kind: &str,
        jurisdiction_id: &str,
    ) -> Result<Vec<CommunityRecord>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = on!(&self.pool, read p => sqlx::query_as(
            "SELECT id, doc, created_at, updated_at FROM community_records \
             WHERE agency_id = $1 AND kind = $2 AND jurisdiction_id = $3 AND deleted_at IS NULL ORDER BY created_at, id")
            .bind(&self.agency).bind(kind).bind(jurisdiction_id).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(id, doc, created_at, updated_at)| CommunityRecord {
                kind: kind.into(),
                id,
                jurisdiction_id: jurisdiction_id.into(),
                doc,
                created_at,
                updated_at,
                deleted_at: None,
            })
            .collect())
    }

    /// One page of a register's live records, newest first (`created_at`,
    /// then `id`, descending), filtered in the database: the way in
    /// (`place`) picks the index, the other filters ride along it.
    pub async fn list_records(
        &self,
        q: &RecordQuery<'_>,
    ) -> Result<Vec<CommunityRecord>, StoreError> {
        type Row = (String, String, String, i64, i64);
        let rows: Vec<Row> = on!(&self.pool, read p => {
            let mut b = sqlx::QueryBuilder::new(
                "SELECT id, jurisdiction_id, doc, created_at, updated_at FROM community_records WHERE agency_id = ");
            b.push_bind(&self.agency).push(" AND kind = ").push_bind(q.kind).push(" AND deleted_at IS NULL");
            match q.place {
                RecordPlace::Everywhere => {}
                RecordPlace::Station(s) => { b.push(" AND station_id = ").push_bind(s); }
                RecordPlace::Jurisdiction(j) => { b.push(" AND jurisdiction_id = ").push_bind(j); }
                RecordPlace::Within(js) => {
                    if js.is_empty() {
                        return Ok(Vec::new());
                    }
                    b.push(" AND jurisdiction_id IN (");
                    let mut sep = b.separated(", ");
                    for j in js {
                        sep.push_bind(j);
                    }
                    b.push(")");
                }
            }
            if let Some(s) = q.status {
                b.push(" AND status = ").push_bind(s);
            }
            match q.overdue {
                Some((true, now)) => { b.push(" AND overdue_after < ").push_bind(now); }
                Some((false, now)) => { b.push(" AND (overdue_after IS NULL OR overdue_after >= ").push_bind(now).push(")"); }
                None => {}
            }
            if let Some(code) = q.address_code {
                b.push(" AND address_code = ").push_bind(code);
            }
            if let Some((at, id)) = q.before {
                b.push(" AND (created_at, id) < (").push_bind(at).push(", ").push_bind(id).push(")");
            }
            b.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(q.limit);
            b.build_query_as::<Row>().fetch_all(p).await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(id, jurisdiction_id, doc, created_at, updated_at)| CommunityRecord {
                    kind: q.kind.into(),
                    id,
                    jurisdiction_id,
                    doc,
                    created_at,
                    updated_at,
                    deleted_at: None,
                },
            )
            .collect())
    }

    /// The live records of `kind` in a window (see [`RecordWindow`]),
    /// oldest first.
    pub async fn records_window(
        &self,
        kind: &str,
        window: RecordWindow<'_>,
    ) -> Result<Vec<CommunityRecord>, StoreError> {
        type Row = (String, String, String, i64, i64);
        let rows: Vec<Row> = on!(&self.pool, read p => {
            let mut b = sqlx::QueryBuilder::new(
                "SELECT id, jurisdiction_id, doc, created_at, updated_at FROM community_records WHERE agency_id = ");
            b.push_bind(&self.agency).push(" AND kind = ").push_bind(kind).push(" AND deleted_at IS NULL");
            match window {
                RecordWindow::Created { from, to } => {
                    b.push(" AND created_at >= ").push_bind(from);
                    if let Some(to) = to {
                        b.push(" AND created_at < ").push_bind(to);
                    }
                }
                RecordWindow::SteppedSince(at) => { b.push(" AND stepped_at >= ").push_bind(at); }
                RecordWindow::DueBefore(at) => { b.push(" AND overdue_after < ").push_bind(at); }
                RecordWindow::Status(s) => { b.push(" AND status = ").push_bind(s); }
                RecordWindow::Day(d) => { b.push(" AND day = ").push_bind(d); }
                RecordWindow::Days { from, to } => {
                    b.push(" AND day >= ").push_bind(from).push(" AND day < ").push_bind(to);
                }
                RecordWindow::Whole => {}
            }
            b.push(" ORDER BY created_at, id");
            b.build_query_as::<Row>().fetch_all(p).await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(id, jurisdiction_id, doc, created_at, updated_at)| CommunityRecord {
                    kind: kind.into(),
                    id,
                    jurisdiction_id,
                    doc,
                    created_at,
                    updated_at,
                    deleted_at: None,
                },
            )
            .collect())
    }

    /// The live records among `keys` (`(kind, id)`), one primary-key look-up
    /// a kind (`id IN (…)`: SQLite's planner turns an OR of pairs into a
    /// scan); missing or deleted ones are left out, order is not kept.
    pub async fn records_by_keys(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<CommunityRecord>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        type Row = (String, String, String, String, i64, i64);
        let mut kinds: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let mut rows: Vec<Row> = Vec::new();
        for kind in kinds {
            let part: Vec<Row> = on!(&self.pool, read p => {
                let mut b = sqlx::QueryBuilder::new(
                    "SELECT kind, id, jurisdiction_id, doc, created_at, updated_at FROM community_records WHERE agency_id = ");
                b.push_bind(&self.agency).push(" AND kind = ").push_bind(kind).push(" AND id IN (");
                let mut ids = b.separated(", ");
                for (_, id) in keys.iter().filter(|(k, _)| k == kind) {
                    ids.push_bind(id);
                }
                b.push(") AND deleted_at IS NULL");
                b.build_query_as::<Row>().fetch_all(p).await
            })?;
            rows.extend(part);
        }
        Ok(rows
            .into_iter()
            .map(
                |(kind, id, jurisdiction_id, doc, created_at, updated_at)| CommunityRecord {
                    kind,
                    id,
                    jurisdiction_id,
                    doc,
                    created_at,
                    updated_at,
                    deleted_at: None,
                },
            )
            .collect())
    }

    /// How many live records of each kind are registered at a standard
    /// address (an index look-up), kinds in order.
    pub async fn registered_at(
        &self,
        address_code: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on!(&self.pool, read p => sqlx::query_as(
            "SELECT kind, COUNT(*) FROM community_records WHERE agency_id = $1 AND address_code = $2 \
             AND deleted_at IS NULL GROUP BY kind ORDER BY kind")
            .bind(&self.agency).bind(address_code).fetch_all(p).await)?)
    }

    /// The live records registered at a standard address (of `kind`, if
    /// given), filed under one of `within` (all jurisdictions when
    /// `None`): kinds in order, newest first, at most `limit`. A range of
    /// the address index.
    pub async fn records_at(
        &self,
        address_code: &str,
        kind: Option<&str>,
        within: Option<&[String]>,
        limit: i64,
    ) -> Result<Vec<CommunityRecord>, StoreError> {
        let scope = within.map(|j| serde_json::to_string(j).expect("strings serialise"));
        type Row = (String, String, String, String, i64, i64);
        let rows: Vec<Row> = match &self.pool {
            Pool::Sqlite { read, .. } => sqlx::query_as(
                "SELECT kind, id, jurisdiction_id, doc, created_at, updated_at FROM community_records \
                 WHERE agency_id = $1 AND address_code = $2 AND ($3 IS NULL OR kind = $3) AND deleted_at IS NULL \
                 AND ($4 IS NULL OR jurisdiction_id IN (SELECT value FROM json_each($4))) \
                 ORDER BY kind, created_at DESC, id DESC LIMIT $5")
                .bind(&self.agency).bind(address_code).bind(kind).bind(&scope).bind(limit)
                .fetch_all(read).await?,
            Pool::Pg(p) => sqlx::query_as(
                "SELECT kind, id, jurisdiction_id, doc, created_at, updated_at FROM community_records \
                 WHERE agency_id = $1 AND address_code = $2 AND ($3::text IS NULL OR kind = $3) AND deleted_at IS NULL \
                 AND ($4::text IS NULL OR jurisdiction_id IN (SELECT jsonb_array_elements_text($4::jsonb))) \
                 ORDER BY kind, created_at DESC, id DESC LIMIT $5")
                .bind(&self.agency).bind(address_code).bind(kind).bind(&scope).bind(limit)
                .fetch_all(p).await?,
        };
        Ok(rows
            .into_iter()
            .map(
                |(kind, id, jurisdiction_id, doc, created_at, updated_at)| CommunityRecord {
                    kind,
                    id,
                    jurisdiction_id,
                    doc,
                    created_at,
                    updated_at,
                    deleted_at: None,
                },
            )
            .collect())
    }

    /// Files the records written before records were filed (the migration
    /// to filtered lists), in batches by id so no register is held in
    /// memory. Returns how many.
    pub async fn file_records(&self) -> Result<usize, StoreError> {
        let mut done = 0;
        loop {
            type Row = (String, String, String, String, i64, i64, Option<i64>);
            let rows: Vec<Row> = on!(&self.pool, read p => sqlx::query_as(
                "SELECT kind, id, jurisdiction_id, doc, created_at, updated_at, deleted_at FROM community_records \
                 WHERE agency_id = $1 AND filed = 0 LIMIT 1000")
                .bind(&self.agency).fetch_all(p).await)?;
            if rows.is_empty() {
                break;
            }
            let recs: Vec<CommunityRecord> = rows
                .into_iter()
                .map(
                    |(kind, id, jurisdiction_id, doc, created_at, updated_at, deleted_at)| {
                        CommunityRecord {
                            kind,
                            id,
                            jurisdiction_id,
                            doc,
                            created_at,
                            updated_at,
                            deleted_at,
                        }
                    },
                )
                .collect();
            on!(&self.pool, write p => {
                let mut tx = p.begin().await?;
                for rec in &recs {
                    upsert_record(&mut tx, &self.agency, rec, self.station_of(&rec.jurisdiction_id)).await?;
                }
                tx.commit().await?;
            });
            done += recs.len();
        }
        Ok(done)
    }

    /// The ids of at most `limit` records of `kind` (soft-deleted or not)
    /// last changed before `before`, oldest change first: a page of the
    /// retention purge, read from the index.
    pub async fn changed_before(
        &self,
        kind: &str,
        before: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on!(&self.pool, read p => sqlx::query_scalar(
            "SELECT id FROM community_records WHERE agency_id = $1 AND kind = $2 AND updated_at < $3 \
             ORDER BY updated_at LIMIT $4")
            .bind(&self.agency).bind(kind).bind(before).bind(limit).fetch_all(p).await)?)
    }

    /// Removes records for good (a batch of the retention purge), each with
    /// its audit entry, in one short transaction.
    pub async fn purge_records(
        &self,
        kind: &str,
        ids: &[String],
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            for id in ids {
                sqlx::query("DELETE FROM community_records WHERE agency_id = $1 AND kind = $2 AND id = $3")
                    .bind(&self.agency).bind(kind).bind(id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM person_keys WHERE agency_id = $1 AND kind = $2 AND record_id = $3")
                    .bind(&self.agency).bind(kind).bind(id).execute(&mut *tx).await?;
                insert_audit(&mut tx, &self.agency, &AuditEntry { record_id: id.clone(), ..audit.clone() }).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds or replaces a community record (a JSON document of `kind`) and
    /// appends an audit entry, in one transaction.
    pub async fn put_record(
        &self,
        rec: &CommunityRecord,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            upsert_record(&mut tx, &self.agency, rec, self.station_of(&rec.jurisdiction_id)).await?;
            insert_audit(&mut tx, &self.agency, audit).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Many records at once (setup and demo data), one audit entry each.
    pub async fn put_records(
        &self,
        recs: &[CommunityRecord],
        actor: &str,
    ) -> Result<(), StoreError> {
        self.import_records(recs.iter().cloned().map(Ok), actor, &mut |_| {})
            .await
            .map(|_| ())
    }

    /// Writes records as they come (an importer's stream), in one
    /// transaction: all or nothing (an `Err` from the stream rolls back
    /// what came before it). Rows go in batches of multi-row
    /// statements (the record, its identity-check keys, an `import` audit
    /// entry each); `progress` hears how many are written after each batch.
    pub async fn import_records<I>(
        &self,
        recs: I,
        actor: &str,
        progress: &mut (dyn FnMut(usize) + Send),
    ) -> Result<usize, StoreError>
    where
        I: Iterator<Item = Result<CommunityRecord, String>> + Send,
    {
        // 15 values a record: well inside SQLite's 32,766 and PostgreSQL's 65,535 binds.
        const BATCH: usize = 500;
        let mut recs = recs.peekable();
        let mut done = 0;
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            // The tables grow inside this one transaction, where no
            // statistics see them: PostgreSQL's planner would take each
            // batch's key clean-up for a scan of a small table, and a
            // city's first load would turn quadratic. Its statistics are
            // taken again inside the transaction each time the load has
            // grown tenfold.
            let mut analyze_at = 10 * BATCH;
            // Identity keys are random in their index's order: gathered
            // unindexed and added sorted at the end, each index page is
            // visited once instead of once a key.
            // Sorted bytewise, as the index is (SQLite's default; PostgreSQL's "C").
            sqlx::query(if matches!(self.pool, Pool::Pg(_)) {
                "CREATE TEMP TABLE IF NOT EXISTS import_keys (agency_id TEXT NOT NULL, key_kind TEXT NOT NULL, \
                 value TEXT COLLATE \"C\" NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL, \
                 jurisdiction_id TEXT NOT NULL)"
            } else {
                "CREATE TEMP TABLE IF NOT EXISTS import_keys (agency_id TEXT NOT NULL, key_kind TEXT NOT NULL, \
                 value TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL, \
                 jurisdiction_id TEXT NOT NULL)"
            })
            .execute(&mut *tx).await?;
            sqlx::query("DELETE FROM import_keys").execute(&mut *tx).await?;
            while recs.peek().is_some() {
                let batch: Vec<CommunityRecord> = recs
                    .by_ref()
                    .take(BATCH)
                    .collect::<Result<_, _>>()
                    .map_err(StoreError::Abandoned)?;
                let mut b = sqlx::QueryBuilder::new(
                    "INSERT INTO community_records (agency_id, kind, id, jurisdiction_id, doc, created_at, updated_at, \
                     deleted_at, station_id, status, overdue_after, address_code, day, stepped_at, filed) ");
                b.push_values(&batch, |mut row, rec| {
                    let filing = community::filing::filing(&rec.kind, &rec.doc);
                    row.push_bind(&self.agency).push_bind(&rec.kind).push_bind(&rec.id)
                        .push_bind(&rec.jurisdiction_id).push_bind(&rec.doc).push_bind(rec.created_at)
                        .push_bind(rec.updated_at).push_bind(rec.deleted_at)
                        .push_bind(self.station_of(&rec.jurisdiction_id)).push_bind(filing.status)
                        .push_bind(filing.overdue_after).push_bind(filing.address_code).push_bind(filing.day)
                        .push_bind(filing.stepped_at).push_bind(1i16);
                });
                b.push(" ON CONFLICT (agency_id, kind, id) DO UPDATE SET jurisdiction_id = excluded.jurisdiction_id, \
                     doc = excluded.doc, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, \
                     station_id = excluded.station_id, status = excluded.status, overdue_after = excluded.overdue_after, \
                     address_code = excluded.address_code, day = excluded.day, stepped_at = excluded.stepped_at, filed = 1");
                b.build().execute(&mut *tx).await?;
                // A record written again keeps no stale keys.
                let mut d = sqlx::QueryBuilder::new("DELETE FROM person_keys WHERE agency_id = ");
                d.push_bind(&self.agency).push(" AND kind = ").push_bind(&batch[0].kind).push(" AND record_id IN (");
                let mut ids = d.separated(", ");
                for rec in batch.iter().filter(|r| r.kind == batch[0].kind) {
                    ids.push_bind(&rec.id);
                }
                d.push(")");
                d.build().execute(&mut *tx).await?;
                for rec in batch.iter().filter(|r| r.kind != batch[0].kind) {
                    sqlx::query("DELETE FROM person_keys WHERE agency_id = $1 AND kind = $2 AND record_id = $3")
                        .bind(&self.agency).bind(&rec.kind).bind(&rec.id).execute(&mut *tx).await?;
                }
                let keys: Vec<(&CommunityRecord, community::identity::PersonKey)> = batch
                    .iter()
                    .filter(|r| r.deleted_at.is_none())
                    .flat_map(|r| person_keys(r).into_iter().map(move |k| (r, k)))
                    .collect();
                for chunk in keys.chunks(4000) {
                    let mut k = sqlx::QueryBuilder::new(
                        "INSERT INTO import_keys (agency_id, key_kind, value, kind, record_id, field, jurisdiction_id) ");
                    k.push_values(chunk, |mut row, (rec, key)| {
                        row.push_bind(&self.agency).push_bind(key.kind.as_str()).push_bind(&key.value)
                            .push_bind(&rec.kind).push_bind(&rec.id).push_bind(&key.field).push_bind(&rec.jurisdiction_id);
                    });
                    k.build().execute(&mut *tx).await?;
                }
                let mut a = sqlx::QueryBuilder::new(
                    "INSERT INTO audit_log (agency_id, at, actor, action, kind, record_id, reason) ");
                a.push_values(&batch, |mut row, rec| {
                    row.push_bind(&self.agency).push_bind(rec.updated_at).push_bind(actor).push_bind("import")
                        .push_bind(&rec.kind).push_bind(&rec.id).push_bind(None::<String>);
                });
                a.build().execute(&mut *tx).await?;
                done += batch.len();
                if done >= analyze_at && matches!(self.pool, Pool::Pg(_)) {
                    sqlx::query("ANALYZE community_records, person_keys").execute(&mut *tx).await?;
                    analyze_at *= 10;
                }
                progress(done);
            }
            sqlx::query("INSERT INTO person_keys (agency_id, key_kind, value, kind, record_id, field, jurisdiction_id) \
                 SELECT agency_id, key_kind, value, kind, record_id, field, jurisdiction_id FROM import_keys WHERE true \
                 ORDER BY agency_id, key_kind, value, kind, record_id, field ON CONFLICT DO NOTHING")
                .execute(&mut *tx).await?;
            sqlx::query("DELETE FROM import_keys").execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(done)
    }

    /// Records of `kind` (soft-deleted ones included; callers filter).
    pub async fn records(&self, kind: &str) -> Result<Vec<CommunityRecord>, StoreError> {
        let rows: Vec<(String, String, String, i64, i64, Option<i64>)> = on!(&self.pool, read p => sqlx::query_as(
            "SELECT id, jurisdiction_id, doc, created_at, updated_at, deleted_at FROM community_records \
             WHERE agency_id = $1 AND kind = $2 ORDER BY created_at, id")
            .bind(&self.agency).bind(kind).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, jurisdiction_id, doc, created_at, updated_at, deleted_at)| CommunityRecord {
                    kind: kind.into(),
                    id,
                    jurisdiction_id,
                    doc,
                    created_at,
                    updated_at,
                    deleted_at,
                },
            )
            .collect())
    }

    /// One record.
    pub async fn record(
        &self,
        kind: &str,
        id: &str,
    ) -> Result<Option<CommunityRecord>, StoreError> {
        let row: Option<(String, String, i64, i64, Option<i64>)> = on!(&self.pool, read p => sqlx::query_as(
            "SELECT jurisdiction_id, doc, created_at, updated_at, deleted_at FROM community_records \
             WHERE agency_id = $1 AND kind = $2 AND id = $3")
            .bind(&self.agency).bind(kind).bind(id).fetch_optional(p).await)?;
        Ok(row.map(
            |(jurisdiction_id, doc, created_at, updated_at, deleted_at)| CommunityRecord {
                kind: kind.into(),
                id: id.into(),
                jurisdiction_id,
                doc,
                created_at,
                updated_at,
                deleted_at,
            },
        ))
    }

    /// Removes a record for good (the retention purge) and audits it, in one transaction.
    pub async fn purge_record(
        &self,
        kind: &str,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM community_records WHERE agency_id = $1 AND kind = $2 AND id = $3")
                .bind(&self.agency).bind(kind).bind(id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM person_keys WHERE agency_id = $1 AND kind = $2 AND record_id = $3")
                .bind(&self.agency).bind(kind).bind(id).execute(&mut *tx).await?;
            insert_audit(&mut tx, &self.agency, audit).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The records an identity check finds: those with a key of `kind`
    /// equal to `value` (or, with `prefix`, beginning with it), filed under
    /// one of `within` (all jurisdictions when `None`), at most `limit`, in
    /// key order. A look-up or a range scan of the keys' index.
    pub async fn find_people(
        &self,
        kind: community::identity::KeyKind,
        value: &str,
        prefix: bool,
        within: Option<&[String]>,
        limit: i64,
    ) -> Result<Vec<PersonMatch>, StoreError> {
        // Any string that begins with `value` sorts at or before this, bytewise.
        let upper = if prefix {
            format!("{value}\u{10FFFF}")
        } else {
            value.to_string()
        };
        let scope = within.map(|j| serde_json::to_string(j).expect("strings serialise"));
        let rows: Vec<(String, String, String, String, String)> = match &self.pool {
            Pool::Sqlite { read, .. } => sqlx::query_as(
                "SELECT kind, record_id, field, jurisdiction_id, value FROM person_keys \
                 WHERE agency_id = $1 AND key_kind = $2 AND value >= $3 AND value <= $4 \
                 AND ($5 IS NULL OR jurisdiction_id IN (SELECT value FROM json_each($5))) \
                 ORDER BY value, kind, record_id, field LIMIT $6")
                .bind(&self.agency).bind(kind.as_str()).bind(value).bind(&upper).bind(&scope).bind(limit)
                .fetch_all(read).await?,
            Pool::Pg(p) => sqlx::query_as(
                "SELECT kind, record_id, field, jurisdiction_id, value FROM person_keys \
                 WHERE agency_id = $1 AND key_kind = $2 AND value >= $3 AND value <= $4 \
                 AND ($5::text IS NULL OR jurisdiction_id IN (SELECT jsonb_array_elements_text($5::jsonb))) \
                 ORDER BY value, kind, record_id, field LIMIT $6")
                .bind(&self.agency).bind(kind.as_str()).bind(value).bind(&upper).bind(&scope).bind(limit)
                .fetch_all(p).await?,
        };
        Ok(rows
            .into_iter()
            .map(
                |(kind, record_id, field, jurisdiction_id, value)| PersonMatch {
                    kind,
                    record_id,
                    field,
                    jurisdiction_id,
                    value,
                },
            )
            .collect())
    }

    /// Writes the identity-check keys of every live personal record that
    /// has none (records stored before the keys were kept), in batches by
    /// id so no register is held in memory. Returns how many records.
    pub async fn index_person_keys(&self) -> Result<usize, StoreError> {
        let mut kinds: Vec<&str> = community::ledgers::LEDGERS
            .iter()
            .filter(|l| l.personal)
            .map(|l| l.register.kind)
            .collect();
        kinds.push(community::ledger::KEY_PERSONS.kind);
        let mut done = 0;
        for kind in kinds {
            let mut after = String::new();
            loop {
                let rows: Vec<(String, String, String, i64, i64)> = on!(&self.pool, read p => sqlx::query_as(
                    "SELECT r.id, r.jurisdiction_id, r.doc, r.created_at, r.updated_at FROM community_records r \
                     WHERE r.agency_id = $1 AND r.kind = $2 AND r.id > $3 AND r.deleted_at IS NULL \
                     AND NOT EXISTS (SELECT 1 FROM person_keys k WHERE k.agency_id = r.agency_id AND k.kind = r.kind AND k.record_id = r.id) \
                     ORDER BY r.id LIMIT 1000")
                    .bind(&self.agency).bind(kind).bind(&after).fetch_all(p).await)?;
                let Some(last) = rows.last() else { break };
                after = last.0.clone();
                let recs: Vec<CommunityRecord> = rows
                    .into_iter()
                    .map(
                        |(id, jurisdiction_id, doc, created_at, updated_at)| CommunityRecord {
                            kind: kind.into(),
                            id,
                            jurisdiction_id,
                            doc,
                            created_at,
                            updated_at,
                            deleted_at: None,
                        },
                    )
                    .collect();
                on!(&self.pool, write p => {
                    let mut tx = p.begin().await?;
                    for rec in &recs {
                        upsert_record(&mut tx, &self.agency, rec, self.station_of(&rec.jurisdiction_id)).await?;
                    }
                    tx.commit().await?;
                });
                done += recs.len();
            }
        }
        Ok(done)
    }

    /// Appends to the audit log (reads of personal data, for instance).
    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            insert_audit(&mut tx, &self.agency, entry).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Appends several audit entries in one transaction (one commit for
    /// every record an answer shows).
    pub async fn audit_all(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        on!(&self.pool, write p => {
            let mut tx = p.begin().await?;
            for entry in entries {
                insert_audit(&mut tx, &self.agency, entry).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The newest audit entries first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(i64, String, String, String, String, Option<String>)> = on!(&self.pool, read p => sqlx::query_as(
            "SELECT at, actor, action, kind, record_id, reason FROM audit_log WHERE agency_id = $1 ORDER BY at DESC LIMIT $2")
            .bind(&self.agency).bind(limit).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, action, kind, record_id, reason)| AuditEntry {
                at,
                actor,
                action,
                kind,
                record_id,
                reason,
            })
            .collect())
    }

    /// Adds or replaces units directly (setup; live changes go through [`Store::commit`]).
    pub async fn put_units(&self, units: &[Unit]) -> Result<(), StoreError> {
        self.commit(Changes {
            units: units.to_vec(),
            ..Default::default()
        })
        .await
    }

    /// Adds or replaces an account.
    pub async fn put_user(&self, u: &UserRecord) -> Result<(), StoreError> {
        on!(&self.pool, write p => sqlx::query(
            "INSERT INTO users (agency_id, username, role, scope_id, display_name, password_hash, disabled, unit_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (agency_id, username) DO UPDATE SET role = excluded.role, scope_id = excluded.scope_id, \
             display_name = excluded.display_name, password_hash = excluded.password_hash, disabled = excluded.disabled, unit_id = excluded.unit_id")
            .bind(&self.agency).bind(&u.username).bind(&u.role).bind(&u.scope).bind(&u.display_name)
            .bind(&u.password_hash).bind(i32::from(u.disabled)).bind(&u.unit_id)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// One account.
    pub async fn user(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = on!(&self.pool, read p => sqlx::query("SELECT username, role, scope_id, display_name, password_hash, disabled, unit_id FROM users WHERE agency_id = $1 AND username = $2")
            .bind(&self.agency).bind(username).fetch_optional(p).await.map(|r| r.map(|r| user_record!(r))))?;
        Ok(row)
    }

    /// Every account.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows = on!(&self.pool, read p => sqlx::query("SELECT username, role, scope_id, display_name, password_hash, disabled, unit_id FROM users WHERE agency_id = $1 ORDER BY username").bind(&self.agency).fetch_all(p).await.map(|rows| rows.iter().map(|r| user_record!(r)).collect::<Vec<_>>()))?;
        Ok(rows)
    }

    /// Unit `unit_id`'s orders after `after` (its dispatches and releases,
    /// oldest first), at most `limit`, each with when it was acknowledged.
    pub async fn unit_orders(
        &self,
        unit_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        let rows = on!(&self.pool, read p => sqlx::query(ORDERS_AFTER).bind(&self.agency).bind(unit_id).bind(after).bind(limit)
            .fetch_all(p).await.map(|rows| rows.iter().map(|r| order_record!(r)).collect::<Vec<_>>()))?;
        Ok(rows)
    }

    /// Unit `unit_id`'s track: its fixes with device times in `from..to`,
    /// oldest first, at most `limit` (page on from the last `at` + 1).
    pub async fn track(
        &self,
        unit_id: &str,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<dispatch::Fix>, StoreError> {
        let rows = on!(&self.pool, read p => sqlx::query(TRACK).bind(&self.agency).bind(unit_id).bind(from).bind(to).bind(limit)
            .fetch_all(p).await.map(|rows| rows.iter().map(|r| dispatch::Fix {
                unit_id: r.get(0),
                at: r.get(1),
                received_at: r.get(2),
                lat: r.get(3),
                lon: r.get(4),
                accuracy_m: r.get(5),
                speed_mps: r.get(6),
                heading_deg: r.get(7),
            }).collect::<Vec<_>>()))?;
        Ok(rows)
    }

    /// One order of unit `unit_id`.
    pub async fn unit_order(
        &self,
        unit_id: &str,
        seq: i64,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let row = on!(&self.pool, read p => sqlx::query(ORDER).bind(&self.agency).bind(unit_id).bind(seq)
            .fetch_optional(p).await.map(|r| r.map(|r| order_record!(r))))?;
        Ok(row)
    }

    /// Records a new session.
    pub async fn put_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        on!(&self.pool, write p => sqlx::query("INSERT INTO sessions (token_hash, agency_id, username, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&s.token_hash).bind(&self.agency).bind(&s.username).bind(s.created_at).bind(s.expires_at).bind(s.revoked_at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// A session by token hash.
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = on!(&self.pool, read p => sqlx::query("SELECT token_hash, username, created_at, expires_at, revoked_at FROM sessions WHERE token_hash = $1 AND agency_id = $2").bind(token_hash).bind(&self.agency).fetch_optional(p).await.map(|r| r.map(|r| SessionRecord {
            token_hash: r.get(0), username: r.get(1), created_at: r.get(2), expires_at: r.get(3), revoked_at: r.get(4),
        })))?;
        Ok(row)
    }

    /// Revokes one session, or every session of `username`.
    pub async fn revoke(
        &self,
        token_hash: Option<&str>,
        username: Option<&str>,
        at: i64,
    ) -> Result<u64, StoreError> {
        let done = on!(&self.pool, write p => sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE agency_id = $2 AND revoked_at IS NULL AND (token_hash = $3 OR username = $4)")
            .bind(at).bind(&self.agency).bind(token_hash).bind(username).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(done)
    }

    /// A stored setting.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            on!(&self.pool, read p => sqlx::query_scalar("SELECT value FROM meta WHERE agency_id = $1 AND key = $2").bind(&self.agency).bind(key).fetch_optional(p).await)?,
        )
    }

    /// Stores a setting.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        on!(&self.pool, write p => sqlx::query("INSERT INTO meta (agency_id, key, value) VALUES ($1, $2, $3) ON CONFLICT (agency_id, key) DO UPDATE SET value = excluded.value")
            .bind(&self.agency).bind(key).bind(value).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Checks the database: SQLite's integrity check, plus (both backends)
    /// that every incident has its creation event and no event points at a
    /// missing incident. Returns a list of problems (empty: sound).
    pub async fn check(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        if let Pool::Sqlite { read, .. } = &self.pool {
            let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(read)
                .await?;
            if rows != ["ok"] {
                problems.extend(rows.into_iter().map(|r| format!("sqlite integrity: {r}")));
            }
        }
        let a = &self.agency;
        let orphans: i64 = on!(&self.pool, read p => sqlx::query_scalar("SELECT COUNT(*) FROM events e WHERE e.agency_id = $1 AND e.incident_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.agency_id = e.agency_id AND i.id = e.incident_id)").bind(a).fetch_one(p).await)?;
        if orphans > 0 {
            problems.push(format!("{orphans} events refer to missing incidents"));
        }
        let bare: i64 = on!(&self.pool, read p => sqlx::query_scalar("SELECT COUNT(*) FROM incidents i WHERE i.agency_id = $1 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.agency_id = i.agency_id AND e.incident_id = i.id AND e.kind IN ('incident_created', 'imported'))").bind(a).fetch_one(p).await)?;
        if bare > 0 {
            problems.push(format!("{bare} incidents lack their creation event"));
        }
        Ok(problems)
    }

    /// Closes the pools (waits for queued writes first).
    pub async fn close(self) {
        let Store { pool, writer, .. } = self;
        drop(writer);
        match pool {
            Pool::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pool::Pg(p) => p.close().await,
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    what: &'static str,
    id: impl ToString,
    d: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(d).map_err(|source| StoreError::Corrupt {
        what,
        id: id.to_string(),
        source,
    })
}

/// A record an identity check found ([`Store::find_people`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonMatch {
    /// The register (`resident`, `key_person`, ...).
    pub kind: String,
    /// The record.
    pub record_id: String,
    /// Where in it the key is (`name`, `tenants[1].id_number`, ...).
    pub field: String,
    /// The jurisdiction it is filed under.
    pub jurisdiction_id: String,
    /// The key that matched.
    pub value: String,
}

/// A community policing record as stored: a JSON document of some kind
/// (`transfer`, `lead`, …) that belongs to a jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityRecord {
    /// Record kind.
    pub kind: String,
    /// Identifier within the kind.
    pub id: String,
    /// The jurisdiction it belongs to (scope checks use it).
    pub jurisdiction_id: String,
    /// The record, JSON.
    pub doc: String,
    /// Created (ms).
    pub created_at: i64,
    /// Last changed (ms).
    pub updated_at: i64,
    /// Soft-deleted at (ms).
    pub deleted_at: Option<i64>,
}

/// Where a list of records looks: the way into the register's indexes.
#[derive(Debug, Clone, Copy)]
pub enum RecordPlace<'a> {
    /// The whole register.
    Everywhere,
    /// Filed under this station or any jurisdiction below it.
    Station(&'a str),
    /// Filed under exactly this jurisdiction.
    Jurisdiction(&'a str),
    /// Filed under one of these jurisdictions.
    Within(&'a [String]),
}

/// Which of a register's records a period's figure is counted from: a
/// window on one filed column, read from its index, so that figures cost
/// what the period holds, not what the register holds. See
/// [`Store::records_window`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordWindow<'a> {
    /// Created at or after `from` and before `to` (no end: up to now).
    Created {
        /// Start (ms, inclusive).
        from: i64,
        /// End (ms, exclusive).
        to: Option<i64>,
    },
    /// With a workflow step taken at or after this instant.
    SteppedSince(i64),
    /// Overdue at some instant before this one (due by then).
    DueBefore(i64),
    /// In this workflow status.
    Status(&'a str),
    /// Of this day (`YYYY-MM-DD`).
    Day(&'a str),
    /// Of a day (`YYYY-MM-DD`) at or after `from` and before `to`.
    Days {
        /// First day.
        from: &'a str,
        /// Day after the last.
        to: &'a str,
    },
    /// The whole register: only for registers no larger than the
    /// jurisdiction tree (1+X+N staffing, one record a community).
    Whole,
}

/// A page of a register: see [`Store::list_records`].
#[derive(Debug, Clone, Copy)]
pub struct RecordQuery<'a> {
    /// The register.
    pub kind: &'a str,
    /// Where.
    pub place: RecordPlace<'a>,
    /// Only this workflow status.
    pub status: Option<&'a str>,
    /// Only records overdue (`true`) or not (`false`) at the instant given.
    pub overdue: Option<(bool, i64)>,
    /// Only records registered at this standard address.
    pub address_code: Option<&'a str>,
    /// The keyset cursor: only records older than this `(created_at, id)`.
    pub before: Option<(i64, &'a str)>,
    /// At most this many.
    pub limit: i64,
}

impl<'a> RecordQuery<'a> {
    /// The newest `limit` records of `kind` anywhere.
    pub fn new(kind: &'a str, limit: i64) -> Self {
        RecordQuery {
            kind,
            place: RecordPlace::Everywhere,
            status: None,
            overdue: None,
            address_code: None,
            before: None,
            limit,
        }
    }
}

/// A place the police imported into the places index.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedPlace {
    /// What the call taker sees (a standard address in full, a marker's code).
    pub label: String,
    /// WGS-84.
    pub lat: f64,
    /// WGS-84.
    pub lon: f64,
    /// Other names it is found by.
    pub names: Vec<String>,
    /// A standard address's code (标准地址编码).
    pub code: Option<String>,
}

/// One audit entry: who did or read what, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When (ms).
    pub at: i64,
    /// User name.
    pub actor: String,
    /// `create`, `update`, `read`, `delete`, `purge`, `import`, …
    pub action: String,
    /// Record kind.
    pub kind: String,
    /// Record id.
    pub record_id: String,
    /// The reason given (required for reads of personal data).
    pub reason: Option<String>,
}

async fn upsert_record<'c, DB: sqlx::Database>(
    tx: &mut sqlx::Transaction<'c, DB>,
    agency: &str,
    rec: &CommunityRecord,
    station: Option<String>,
) -> Result<(), sqlx::Error>
where
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let filing = community::filing::filing(&rec.kind, &rec.doc);
    sqlx::query(
        "INSERT INTO community_records (agency_id, kind, id, jurisdiction_id, doc, created_at, updated_at, deleted_at, \
         station_id, status, overdue_after, address_code, day, stepped_at, filed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1) \
         ON CONFLICT (agency_id, kind, id) DO UPDATE SET jurisdiction_id = excluded.jurisdiction_id, \
         doc = excluded.doc, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, \
         station_id = excluded.station_id, status = excluded.status, overdue_after = excluded.overdue_after, \
         address_code = excluded.address_code, day = excluded.day, stepped_at = excluded.stepped_at, filed = 1",
    )
    .bind(agency)
    .bind(rec.kind.clone())
    .bind(rec.id.clone())
    .bind(rec.jurisdiction_id.clone())
    .bind(rec.doc.clone())
    .bind(rec.created_at)
    .bind(rec.updated_at)
    .bind(rec.deleted_at)
    .bind(station)
    .bind(filing.status)
    .bind(filing.overdue_after)
    .bind(filing.address_code)
    .bind(filing.day)
    .bind(filing.stepped_at)
    .execute(&mut **tx)
    .await?;
    // Its identity-check keys follow it (a deleted record is found no more).
    sqlx::query("DELETE FROM person_keys WHERE agency_id = $1 AND kind = $2 AND record_id = $3")
        .bind(agency)
        .bind(rec.kind.clone())
        .bind(rec.id.clone())
        .execute(&mut **tx)
        .await?;
    if rec.deleted_at.is_none() {
        for k in person_keys(rec) {
            sqlx::query(
                "INSERT INTO person_keys (agency_id, key_kind, value, kind, record_id, field, jurisdiction_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(agency)
            .bind(k.kind.as_str())
            .bind(k.value)
            .bind(rec.kind.clone())
            .bind(rec.id.clone())
            .bind(k.field)
            .bind(rec.jurisdiction_id.clone())
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// The keys an identity check finds a record by, as its register says
/// (none for records that name no one).
pub fn person_keys(rec: &CommunityRecord) -> Vec<community::identity::PersonKey> {
    if rec.kind == community::ledger::KEY_PERSONS.kind {
        return serde_json::from_str::<community::ledger::KeyPerson>(&rec.doc)
            .map(|p| p.person_keys())
            .unwrap_or_default();
    }
    match community::ledgers::ledger(&rec.kind) {
        Some(l) if l.personal => serde_json::from_str::<community::ledgers::Entry>(&rec.doc)
            .map(|e| l.person_keys(&e))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

async fn insert_audit<'c, DB: sqlx::Database>(
    tx: &mut sqlx::Transaction<'c, DB>,
    agency: &str,
    e: &AuditEntry,
) -> Result<(), sqlx::Error>
where
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query("INSERT INTO audit_log (agency_id, at, actor, action, kind, record_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(agency)
        .bind(e.at)
        .bind(e.actor.clone())
        .bind(e.action.clone())
        .bind(e.kind.clone())
        .bind(e.record_id.clone())
        .bind(e.reason.clone())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn migrate(pool: &Pool, migrations: &[(i64, &'static str)]) -> Result<(), StoreError> {
    on!(pool, write p => {
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)").execute(p).await?;
        let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(p).await?;
        for (version, sql) in migrations {
            if done.contains(version) {
                continue;
            }
            let mut tx = p.begin().await?;
            sqlx::raw_sql(*sql).execute(&mut *tx).await?;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)").bind(version).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
        }
    });
    Ok(())
}

/// A `field_reports` row: id, incident, unit, author, at, received_at, text.
type ReportRow = (String, i64, Option<String>, String, i64, i64, String);

fn report_of((id, incident_id, unit_id, author, at, received_at, text): ReportRow) -> FieldReport {
    FieldReport {
        id,
        incident_id,
        unit_id,
        author,
        at,
        received_at,
        text,
        photos: Vec::new(),
    }
}

#[cfg(test)]
mod order_query {
    #[test]
    fn the_orders_query_selects_every_order_event() {
        for kind in dispatch::ORDER_EVENTS {
            assert!(
                super::ORDERS_AFTER.contains(&format!("'{kind}'")),
                "{kind} is missing from the orders query"
            );
        }
    }
}
