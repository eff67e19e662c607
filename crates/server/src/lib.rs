//! The pingan server: the HTTP/JSON API under `/api/v1`, the live WebSocket
//! feed, authentication and roles, Prometheus metrics, and the demo
//! simulator. It owns time, locking and I/O around the pure dispatch engine:
//! a command locks the engine, is checked and applied, its changes are queued
//! to the store in the same order, and the answer goes out only once the
//! store has them on disk; then the feed publishes them.
//!
//! It is not the engine (crates/dispatch) nor the store (crates/store).

pub mod analysis_api;
pub mod api;
pub mod assessment_api;
pub mod auth;
pub mod clock;
pub mod community_api;
pub mod coverage_api;
pub mod error;
pub mod feed;
pub mod ledgers_api;
pub mod sim;
pub mod tiles;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use dispatch::engine::Snapshot;
use dispatch::{Changes, Config, DispatchError, Engine, Jurisdictions, Millis, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use roads::Graph;
use store::Store;
use tokio::sync::broadcast;

use crate::auth::User;
pub use crate::clock::Clock;
use crate::error::ApiError;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Agency id on every row.
    pub agency: String,
    /// Agency name (EIDO, dashboard title).
    pub agency_name: String,
    /// Session lifetime, seconds.
    pub session_ttl_s: i64,
    /// Largest accepted request body, bytes.
    pub body_limit: usize,
    /// Dispatch configuration.
    pub dispatch: Config,
    /// The clock every part of the server reads.
    pub clock: Clock,
    /// In the first this many days of a month the default briefing is the
    /// month just ended (the monthly analysis meeting looks back).
    pub briefing_grace_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            agency: "demo".into(),
            agency_name: "平安市公安局 Ping'an City PSB".into(),
            session_ttl_s: 12 * 3600,
            body_limit: 64 * 1024,
            dispatch: Config::default(),
            clock: Clock::system(),
            briefing_grace_days: 7,
        }
    }
}

/// A message on the live feed with the jurisdictions it concerns.
#[derive(Debug)]
pub struct FeedItem {
    /// Jurisdiction ids the item belongs to (empty: everyone sees it).
    pub scopes: Vec<String>,
    /// The JSON text sent.
    pub json: String,
    /// For position batches: each unit's scopes and entry, so scoped consoles get only theirs.
    pub positions: Option<Vec<(Vec<String>, serde_json::Value)>>,
}

/// Shared state of a running server.
pub struct App {
    /// Live dispatch state (the single writer).
    pub engine: Mutex<Engine>,
    /// Durable store.
    pub store: Store,
    /// Jurisdictions (also inside the engine).
    pub jurisdictions: Arc<Jurisdictions>,
    /// The road graph.
    pub graph: &'static Graph,
    /// Live feed.
    pub feed: broadcast::Sender<Arc<FeedItem>>,
    /// Settings.
    pub settings: Settings,
    /// Base-map vector tiles of the road graph.
    pub tiles: tiles::RoadTiles,
    /// Village and community police offices.
    pub offices: std::sync::RwLock<Vec<dispatch::PoliceOffice>>,
    sessions: Mutex<HashMap<String, User>>,
    moved: Mutex<HashSet<String>>,
    metrics: PrometheusHandle,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("store", &self.store).finish()
    }
}

/// Local time for time-of-day figures: China Standard Time (UTC+8).
pub const LOCAL_UTC_OFFSET_MIN: i64 = 8 * 60;

fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
        })
        .clone()
}

impl App {
    /// Loads the state from the store and starts the background tasks
    /// (timers, position persistence, position feed).
    pub async fn start(
        store: Store,
        graph: &'static Graph,
        settings: Settings,
    ) -> Result<Arc<App>, ApiError> {
        let tree = store.jurisdictions().await?;
        let jurisdictions = Arc::new(Jurisdictions::new(tree).map_err(ApiError::from)?);
        let snapshot: Snapshot = store.load().await?;
        let offices = store.police_offices().await?;
        let engine = Engine::new(
            settings.dispatch.clone(),
            jurisdictions.clone(),
            Box::new(dispatch::RoadTravel::new(graph)),
            snapshot,
        );
        let (feed, _) = broadcast::channel(4096);
        let app = Arc::new(App {
            engine: Mutex::new(engine),
            store,
            jurisdictions,
            graph,
            feed,
            settings,
            tiles: tiles::RoadTiles::new(graph),
            offices: std::sync::RwLock::new(offices),
            sessions: Mutex::new(HashMap::new()),
            moved: Mutex::new(HashSet::new()),
            metrics: metrics_handle(),
        });
        tokio::spawn(background(Arc::downgrade(&app)));
        Ok(app)
    }

    /// Milliseconds since the epoch, now, by the server's clock.
    pub fn now(&self) -> Millis {
        self.settings.clock.now()
    }

    /// Renders the metrics.
    pub fn render_metrics(&self) -> String {
        self.metrics.render()
    }

    /// Runs a command on the engine; answers once its changes are durable,
    /// then publishes them.
    pub async fn apply<T>(
        &self,
        f: impl FnOnce(&mut Engine, Millis) -> Result<(T, Changes), DispatchError>,
    ) -> Result<T, ApiError> {
        let (value, changes, pending) = {
            let mut engine = self.engine.lock().expect("engine lock");
            let (value, changes) = f(&mut engine, self.now())?;
            // Queued while the lock is held: the store sees commands in engine order.
            let pending = self.store.submit(changes.clone());
            (value, changes, pending)
        };
        if let Err(e) = pending.await {
            // The engine is ahead of the store: reload it from what is durable.
            self.reload().await;
            return Err(ApiError::store(e));
        }
        self.publish(&changes);
        Ok(value)
    }

    async fn reload(&self) {
        match self.store.load().await {
            Ok(snapshot) => {
                let engine = Engine::new(
                    self.settings.dispatch.clone(),
                    self.jurisdictions.clone(),
                    Box::new(dispatch::RoadTravel::new(self.graph)),
                    snapshot,
                );
                *self.engine.lock().expect("engine lock") = engine;
                tracing::warn!(message = "engine reloaded from the store after a failed write");
            }
            Err(e) => tracing::error!(message = "reload failed", error = %e),
        }
    }

    fn unit_scopes(&self, u: &Unit) -> Vec<String> {
        self.jurisdictions
            .ancestors(&u.home_station)
            .map(|j| j.id.clone())
            .collect()
    }

    fn incident_scopes(place: &dispatch::Place) -> Vec<String> {
        [
            &place.bureau_id,
            &place.station_id,
            &place.community_id,
            &place.grid_id,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }

    /// Sends changes to the live feed.
    pub fn publish(&self, ch: &Changes) {
        if self.feed.receiver_count() == 0 {
            return;
        }
        let now = self.now();
        for i in &ch.incidents {
            let json = serde_json::json!({"type": "incident", "incident": api::incident_json(i, &self.settings.dispatch, now)}).to_string();
            let _ = self.feed.send(Arc::new(FeedItem {
                scopes: Self::incident_scopes(&i.place),
                json,
                positions: None,
            }));
        }
        for u in &ch.units {
            let json = serde_json::json!({"type": "unit", "unit": api::unit_json(u)}).to_string();
            let _ = self.feed.send(Arc::new(FeedItem {
                scopes: self.unit_scopes(u),
                json,
                positions: None,
            }));
        }
        let engine = self.engine.lock().expect("engine lock");
        for e in &ch.events {
            let scopes = match (
                e.incident_id.and_then(|id| engine.incident(id)),
                e.unit_id.as_deref().and_then(|u| engine.unit(u)),
            ) {
                (Some(i), _) => Self::incident_scopes(&i.place),
                (None, Some(u)) => self.unit_scopes(u),
                _ => vec![],
            };
            let json =
                serde_json::json!({"type": "event", "event": api::event_json(e)}).to_string();
            let _ = self.feed.send(Arc::new(FeedItem {
                scopes,
                json,
                positions: None,
            }));
        }
    }

    /// Records a unit's new position (persisted and broadcast in batches).
    pub fn unit_moved(&self, unit_id: &str) {
        self.moved
            .lock()
            .expect("moved lock")
            .insert(unit_id.to_string());
    }

    /// The user of a session token hash.
    pub async fn session(&self, hash: &str) -> Result<User, ApiError> {
        let now = self.now();
        if let Some(u) = self.sessions.lock().expect("sessions lock").get(hash)
            && u.expires_at > now
        {
            return Ok(u.clone());
        }
        let expired =
            || ApiError::unauthorized("the session has expired or was revoked; log in again");
        let s = self.store.session(hash).await?.ok_or_else(expired)?;
        if s.revoked_at.is_some() || s.expires_at <= now {
            return Err(expired());
        }
        let rec = self
            .store
            .user(&s.username)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(expired)?;
        let user = User {
            username: rec.username,
            role: rec.role,
            scope: rec.scope,
            display_name: rec.display_name,
            token_hash: hash.into(),
            expires_at: s.expires_at,
        };
        self.sessions
            .lock()
            .expect("sessions lock")
            .insert(hash.into(), user.clone());
        Ok(user)
    }

    /// Forgets cached sessions (after a revocation).
    pub fn forget_sessions(&self, token_hash: Option<&str>, username: Option<&str>) {
        self.sessions
            .lock()
            .expect("sessions lock")
            .retain(|h, u| Some(h.as_str()) != token_hash && Some(u.username.as_str()) != username);
    }
}

/// Timers (overdue phases, every second), position persistence and the
/// batched position feed. Stops when the app is dropped.
async fn background(app: std::sync::Weak<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut seconds: u64 = 0;
    loop {
        tick.tick().await;
        let Some(app) = app.upgrade() else { return };
        // Personal data past its retention period: at start, then hourly.
        if seconds % 3600 == 0 {
            match community_api::purge_expired(&app, app.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(message = "retention purge", records = n),
                Err(e) => tracing::error!(message = "retention purge failed", error = %e),
            }
        }
        seconds += 1;
        let overdue = {
            let mut engine = app.engine.lock().expect("engine lock");
            engine.overdue(app.now())
        };
        if !overdue.is_empty() {
            match app.store.commit(overdue.clone()).await {
                Ok(()) => app.publish(&overdue),
                Err(e) => tracing::error!(message = "could not store overdue flags", error = %e),
            }
        }
        let moved: Vec<String> = app.moved.lock().expect("moved lock").drain().collect();
        if !moved.is_empty() {
            let units: Vec<Unit> = {
                let engine = app.engine.lock().expect("engine lock");
                moved
                    .iter()
                    .filter_map(|id| engine.unit(id).cloned())
                    .collect()
            };
            let by_scope: Vec<(Vec<String>, serde_json::Value)> = units
                .iter()
                .map(|u| {
                    (
                        app.unit_scopes(u),
                        serde_json::json!([u.id, u.lat, u.lon, u.status]),
                    )
                })
                .collect();
            app.store.commit_later(Changes {
                units,
                ..Default::default()
            });
            if app.feed.receiver_count() > 0 {
                // One message per second with every moved unit; scoped consoles get their own units only.
                let all: Vec<&serde_json::Value> = by_scope.iter().map(|(_, v)| v).collect();
                let json = serde_json::json!({"type": "positions", "units": all}).to_string();
                let _ = app.feed.send(Arc::new(FeedItem {
                    scopes: vec![],
                    json,
                    positions: Some(by_scope),
                }));
            }
        }
    }
}

/// The whole HTTP surface.
pub fn router(app: Arc<App>) -> axum::Router {
    api::routes(app)
}
