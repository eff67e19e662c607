//! The service layer around the pure dispatch engine: [`App`] owns time,
//! locking and I/O. A command locks the engine, is checked and applied, its
//! changes are queued to the store in the same order, and the caller is
//! answered only once the store has them on disk; the store's writer then
//! hands them, in commit order, to the feed's [`EventBus`]. Reads go
//! through views: [`App::view`] (scoped to a user: it cannot show what lies
//! outside their jurisdiction) or [`App::read`] (the whole city, for the
//! demo, metrics and jobs). Sessions, the record repository with its audit,
//! background jobs (timers, positions, the retention purge).
//!
//! It is not the HTTP API (crates/server knows HTTP and JSON; this crate
//! knows neither), the engine (crates/dispatch), the store (crates/store)
//! nor the demo (crates/demo, a client of [`App`]).

pub mod auth;
pub mod bus;
pub mod clock;
pub mod error;
pub mod import;
pub mod places;
pub mod records;
pub mod repository;
pub mod routes;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use dispatch::engine::Snapshot;
use dispatch::{Changes, Config, DispatchError, Engine, Jurisdictions, Millis, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use roads::Graph;
use store::Store;

use crate::auth::User;
pub use crate::clock::Clock;
pub use crate::error::{AppError, ErrorKind, Refusal};

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

pub use crate::bus::{EventBus, FeedItem, FeedMessage, Position};

/// Shared state of a running server.
pub struct App {
    /// Live dispatch state (the single writer); reached through [`App::engine`].
    engine: Mutex<Engine>,
    /// Set when a request panicked while holding the engine: its state may be
    /// half-changed, so it is reloaded from the store before the next command.
    engine_stale: AtomicBool,
    /// Commands hold it shared until their changes are durable; a reload
    /// holds it alone, so no acknowledged command is lost by replacing the engine.
    commands: tokio::sync::RwLock<()>,
    /// Durable store.
    store: Store,
    /// Jurisdictions (also inside the engine).
    jurisdictions: Arc<Jurisdictions>,
    /// The road graph.
    graph: &'static Graph,
    /// Live feed: what the store committed, in commit order.
    feed: Arc<dyn EventBus>,
    /// Settings.
    settings: Settings,
    /// Base-map vector tiles of the road graph.
    tiles: tiles::RoadTiles,
    /// Village and community police offices.
    offices: std::sync::RwLock<Vec<dispatch::PoliceOffice>>,
    /// The places index (the city's places and the registries' names);
    /// replaced whole, read without waiting.
    places: std::sync::RwLock<Arc<::places::Index>>,
    /// The places imported over the API (kept to rebuild the index); held
    /// while the index is rebuilt, so two rebuilds cannot lose each other's work.
    imported_places: Mutex<Vec<::places::Place>>,
    /// Each road's street name, from the places index (for route steps).
    road_names: std::sync::RwLock<Arc<Vec<Option<Arc<str>>>>>,
    /// Routers for the route answers.
    routers: routes::RouterPool,
    sessions: Mutex<HashMap<String, User>>,
    moved: Mutex<HashSet<String>>,
    metrics: PrometheusHandle,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("store", &self.store).finish()
    }
}

/// The engine seen from outside the server: everything `&Engine` offers,
/// and the queries that need the engine's scratch space (routes,
/// recommendations), but no command. Commands go through [`App::apply`].
pub struct EngineView<'a>(&'a mut Engine);

impl std::ops::Deref for EngineView<'_> {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        self.0
    }
}

impl EngineView<'_> {
    /// Drive times and routes on the road graph.
    pub fn travel(&mut self) -> &mut dyn dispatch::TravelTimes {
        self.0.travel()
    }

    /// The ranked units and the two-way recommendation for an incident.
    pub fn recommend(
        &mut self,
        id: dispatch::model::IncidentId,
        exclude: &[dispatch::model::UnitId],
    ) -> Result<dispatch::Recommendation, DispatchError> {
        self.0.recommend(id, exclude)
    }
}

/// The engine as one user may see it: every list and lookup keeps to the
/// user's jurisdiction (out of scope is not found), and no command can be
/// run through it. Built only by [`App::view`], which needs the user.
pub struct ScopedView<'a> {
    engine: MutexGuard<'a, Engine>,
    user: &'a User,
    jurisdictions: &'a Jurisdictions,
}

impl ScopedView<'_> {
    /// Whether the user's jurisdiction covers `jurisdiction` (or a station's place in it).
    pub fn covers(&self, jurisdiction: &str) -> bool {
        self.user
            .scope
            .as_deref()
            .is_none_or(|s| self.jurisdictions.is_within(jurisdiction, s))
    }

    /// The incidents in scope.
    pub fn incidents(&self) -> impl Iterator<Item = &dispatch::Incident> {
        self.engine.incidents().filter(|i| self.user.sees(i))
    }

    /// One incident, if in scope.
    pub fn incident(&self, id: dispatch::model::IncidentId) -> Option<&dispatch::Incident> {
        self.engine.incident(id).filter(|i| self.user.sees(i))
    }

    /// The units whose home station is in scope.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.engine
            .units()
            .iter()
            .filter(|u| self.covers(&u.home_station))
    }

    /// One unit, if in scope.
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.engine
            .unit(id)
            .filter(|u| self.covers(&u.home_station))
    }

    /// The patrol posts of stations in scope.
    pub fn posts(&self) -> impl Iterator<Item = &dispatch::Post> {
        self.engine
            .posts()
            .iter()
            .filter(|p| self.covers(&p.station_id))
    }

    /// The ranked units and the two-way recommendation for an incident in scope.
    pub fn recommend(
        &mut self,
        id: dispatch::model::IncidentId,
        exclude: &[dispatch::model::UnitId],
    ) -> Result<dispatch::Recommendation, AppError> {
        if self.incident(id).is_none() {
            return Err(AppError::not_found("incident", id));
        }
        Ok(self.engine.recommend(id, exclude)?)
    }

    /// Checks a new incident without creating it: its priority and place.
    pub fn validate_new(
        &self,
        new: &dispatch::NewIncident,
    ) -> Result<(u8, dispatch::Place), AppError> {
        Ok(self.engine.validate_new(new)?)
    }

    /// Open incidents in scope that may be the same event as a new call.
    pub fn possible_duplicates(
        &self,
        now: Millis,
        call: &dispatch::NewIncident,
    ) -> Vec<(dispatch::DuplicateHint, &dispatch::Incident)> {
        self.engine
            .possible_duplicates(now, &call.kind, call.lat, call.lon)
            .into_iter()
            .filter_map(|d| self.incident(d.incident_id).map(|i| (d, i)))
            .collect()
    }

    /// Drive times and routes on the road graph.
    pub fn travel(&mut self) -> &mut dyn dispatch::TravelTimes {
        self.engine.travel()
    }

    /// The dispatch configuration.
    pub fn config(&self) -> &Config {
        self.engine.config()
    }
}

/// Local time for local days and time-of-day figures (defined in `dispatch::time`).
pub use dispatch::time::LOCAL_UTC_OFFSET_MIN;

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
    ) -> Result<Arc<App>, AppError> {
        let tree = store.jurisdictions().await?;
        let jurisdictions = Arc::new(Jurisdictions::new(tree).map_err(AppError::from)?);
        let snapshot: Snapshot = store.load().await?;
        let offices = store.police_offices().await?;
        let engine = Engine::new(
            settings.dispatch.clone(),
            jurisdictions.clone(),
            Box::new(dispatch::RoadTravel::new(graph)),
            snapshot,
        );
        let feed: Arc<dyn EventBus> = Arc::new(bus::InProcessBus::new(4096));
        let committed = store.committed();
        let imported: Vec<::places::Place> = store
            .imported_places()
            .await?
            .into_iter()
            .filter_map(|(kind, p)| places::from_store(&kind, p))
            .collect();
        let index = Arc::new(places::build(
            Vec::new(),
            &imported,
            &jurisdictions,
            &offices,
        ));
        let app = Arc::new(App {
            engine: Mutex::new(engine),
            engine_stale: AtomicBool::new(false),
            commands: tokio::sync::RwLock::new(()),
            store,
            jurisdictions,
            graph,
            feed,
            settings,
            tiles: tiles::RoadTiles::new(graph),
            places: std::sync::RwLock::new(index),
            imported_places: Mutex::new(imported),
            road_names: std::sync::RwLock::new(Arc::new(Vec::new())),
            routers: routes::RouterPool::default(),
            offices: std::sync::RwLock::new(offices),
            sessions: Mutex::new(HashMap::new()),
            moved: Mutex::new(HashSet::new()),
            metrics: metrics_handle(),
        });
        app.draw_labels(&app.places());
        tokio::spawn(background(Arc::downgrade(&app)));
        tokio::spawn(publisher(Arc::downgrade(&app), committed));
        Ok(app)
    }

    /// The durable store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The jurisdiction tree.
    pub fn jurisdictions(&self) -> &Jurisdictions {
        &self.jurisdictions
    }

    /// The road graph.
    pub fn graph(&self) -> &'static Graph {
        self.graph
    }

    /// The base map's vector tiles of the road graph.
    pub fn tiles(&self) -> &tiles::RoadTiles {
        &self.tiles
    }

    /// The village and community police offices, by id.
    pub fn offices(&self) -> Vec<dispatch::PoliceOffice> {
        self.offices
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The places index as it is now.
    pub fn places(&self) -> Arc<::places::Index> {
        self.places
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Puts the city's places (from OpenStreetMap or a `.places` file) in
    /// the index, with the registries' names added.
    pub fn set_places(&self, city: Vec<::places::Place>) {
        let imported = self
            .imported_places
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let index = places::build(city, &imported, &self.jurisdictions, &self.offices());
        self.publish_places(index);
    }

    /// Makes `index` the one searched, and draws its names on the map.
    fn publish_places(&self, index: ::places::Index) {
        self.draw_labels(&index);
        *self.places.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(index);
    }

    fn draw_labels(&self, index: &::places::Index) {
        let (road_name, points) = places::map_labels(index, self.graph);
        self.tiles
            .set_labels(|r| road_name[r as usize].clone(), points);
        *self.road_names.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(road_name);
    }

    /// The fastest route between two points, with its turn-by-turn steps
    /// named by the streets of the places index.
    pub fn route(
        &self,
        from: roads::LatLon,
        to: roads::LatLon,
    ) -> Result<routes::RoutePlan, AppError> {
        let names = self
            .road_names
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        routes::plan(
            &self.routers,
            self.graph,
            &names,
            from,
            to,
            self.settings.dispatch.max_snap_m,
        )
    }

    /// Rebuilds the index with the registries' names as they are now (after
    /// an office was added or changed).
    fn refresh_places(&self) {
        let city = self.places().places().to_vec();
        self.set_places(city);
    }

    /// Replaces the imported places of `kind` (the standard address
    /// register, the markers): durable with its audit entry first, then in
    /// the index. Answers how many places the index now holds.
    pub async fn import_places(
        &self,
        user: &User,
        kind: ::places::Kind,
        records: Vec<::places::Place>,
    ) -> Result<usize, AppError> {
        let rows: Vec<store::ImportedPlace> = records
            .iter()
            .map(|p| store::ImportedPlace {
                label: p.label.clone(),
                lat: p.lat,
                lon: p.lon,
                names: p.names.clone(),
                code: p.code.clone(),
            })
            .collect();
        let audit = store::AuditEntry {
            at: self.now(),
            actor: user.username.clone(),
            action: "import".into(),
            kind: format!("places:{}", kind.as_str()),
            record_id: records.len().to_string(),
            reason: None,
        };
        self.store
            .replace_imported_places(kind.as_str(), &rows, &audit)
            .await
            .map_err(AppError::store)?;
        let mut imported = self
            .imported_places
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        imported.retain(|p| p.kind != kind);
        imported.extend(records);
        // The city's places: the index's, less what the registries and the
        // imports put there (build adds those again).
        let city: Vec<::places::Place> = self.places().places().to_vec();
        let index = places::build(city, &imported, &self.jurisdictions, &self.offices());
        let n = index.len();
        self.publish_places(index);
        Ok(n)
    }

    /// Stores a police office (new or changed) with its audit entry, and
    /// keeps the registry in memory current.
    pub async fn put_office(
        &self,
        user: &User,
        office: &dispatch::PoliceOffice,
        action: &str,
    ) -> Result<(), AppError> {
        self.store
            .put_police_office(
                office,
                &store::AuditEntry {
                    at: self.now(),
                    actor: user.username.clone(),
                    action: action.into(),
                    kind: "police_office".into(),
                    record_id: office.id.clone(),
                    reason: None,
                },
            )
            .await
            .map_err(AppError::store)?;
        let mut offices = self.offices.write().unwrap_or_else(|p| p.into_inner());
        offices.retain(|x| x.id != office.id);
        offices.push(office.clone());
        offices.sort_by(|a, b| a.id.cmp(&b.id));
        drop(offices);
        self.refresh_places();
        Ok(())
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Milliseconds since the epoch, now, by the server's clock.
    pub fn now(&self) -> Millis {
        self.settings.clock.now()
    }

    /// The live engine, locked. A lock poisoned by a panicking request is
    /// recovered, not propagated: the engine is marked stale and reloaded
    /// from the store before the next command, so dispatch goes on.
    fn engine(&self) -> MutexGuard<'_, Engine> {
        match self.engine.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                tracing::error!(
                    message = "a request panicked holding the engine; reloading it from the store"
                );
                self.engine.clear_poison();
                self.engine_stale.store(true, Ordering::SeqCst);
                poisoned.into_inner()
            }
        }
    }

    /// Reloads the engine if a panic left it stale.
    async fn reload_if_stale(&self) {
        if self.engine_stale.swap(false, Ordering::SeqCst) {
            self.reload().await;
        }
    }

    /// Fault injection for tests: a panic while the engine is locked, as a
    /// bug in a command would cause.
    #[doc(hidden)]
    pub fn inject_panic_holding_engine(&self) {
        let _ = std::thread::scope(|s| {
            s.spawn(|| {
                let _held = self.engine();
                panic!("injected panic while holding the engine");
            })
            .join()
        });
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
    ) -> Result<T, AppError> {
        drop(self.engine()); // notices a lock poisoned since the last command
        self.reload_if_stale().await;
        let gate = self.commands.read().await;
        let (value, pending) = {
            let mut engine = self.engine();
            let (value, changes) = f(&mut engine, self.now())?;
            // Queued while the lock is held: the store sees commands in engine order.
            let pending = self.store.submit(changes);
            (value, pending)
        };
        let durable = pending.await;
        drop(gate);
        if let Err(e) = durable {
            // The engine is ahead of the store: reload it from what is durable.
            self.reload().await;
            return Err(AppError::store(e));
        }
        // The store's writer publishes them (see `publisher`), in commit order.
        Ok(value)
    }

    async fn reload(&self) {
        // No command runs meanwhile, and what was queued before is on disk first.
        let _alone = self.commands.write().await;
        if let Err(e) = self.store.flush().await {
            tracing::error!(message = "store flush before reload failed", error = %e);
        }
        match self.store.load().await {
            Ok(snapshot) => {
                let engine = Engine::new(
                    self.settings.dispatch.clone(),
                    self.jurisdictions.clone(),
                    Box::new(dispatch::RoadTravel::new(self.graph)),
                    snapshot,
                );
                *self.engine() = engine;
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

    /// Sends committed changes to the live feed. Each incident and unit
    /// message carries `seq`, the sequence number of its last event in this
    /// commit (or the commit's last), so a console keeps the newest state
    /// whatever order it learns of them in.
    fn publish(&self, ch: &Changes) {
        if self.feed.subscribers() == 0 {
            return;
        }
        let last = ch.events.iter().map(|e| e.seq).max();
        let seq_of = |incident: Option<i64>, unit: Option<&str>| {
            ch.events
                .iter()
                .filter(|e| {
                    incident.is_some_and(|id| e.incident_id == Some(id))
                        || unit.is_some_and(|u| e.unit_id.as_deref() == Some(u))
                })
                .map(|e| e.seq)
                .max()
                .or(last)
        };
        for i in &ch.incidents {
            let message = FeedMessage::Incident {
                seq: seq_of(Some(i.id), None),
                incident: Box::new(i.clone()),
            };
            self.feed
                .publish(Arc::new(FeedItem::new(incident_scopes(&i.place), message)));
        }
        for u in &ch.units {
            let message = FeedMessage::Unit {
                seq: seq_of(None, Some(&u.id)),
                unit: u.clone(),
            };
            self.feed
                .publish(Arc::new(FeedItem::new(self.unit_scopes(u), message)));
        }
        let engine = self.engine();
        for e in &ch.events {
            let scopes = match (
                e.incident_id.and_then(|id| engine.incident(id)),
                e.unit_id.as_deref().and_then(|u| engine.unit(u)),
            ) {
                (Some(i), _) => incident_scopes(&i.place),
                (None, Some(u)) => self.unit_scopes(u),
                _ => vec![],
            };
            self.feed.publish(Arc::new(FeedItem::new(
                scopes,
                FeedMessage::Event(e.clone()),
            )));
        }
    }

    /// The live feed: every committed change, in commit order.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<FeedItem>> {
        self.feed.subscribe()
    }

    /// The live engine as `user` may see it (held locked while the view
    /// lives: keep it short, and never across an `.await`).
    pub fn view<'a>(&'a self, user: &'a User) -> ScopedView<'a> {
        ScopedView {
            engine: self.engine(),
            user,
            jurisdictions: &self.jurisdictions,
        }
    }

    /// A look at the live engine that cannot change it (held locked for
    /// `f`'s duration: keep it short, copy out what you need).
    pub fn read<T>(&self, f: impl FnOnce(&mut EngineView<'_>) -> T) -> T {
        f(&mut EngineView(&mut self.engine()))
    }

    /// A unit's new position: in the engine at once, persisted and
    /// broadcast in batches (a position is superseded within seconds, so it
    /// does not wait for the disk as commands do).
    pub fn move_unit(&self, unit_id: &str, lat: f64, lon: f64) -> Result<Unit, DispatchError> {
        let unit = self.engine().unit_position(self.now(), unit_id, lat, lon)?;
        self.unit_moved(unit_id);
        Ok(unit)
    }

    /// Fixes from unit `unit_id`'s device: kept in its track once each
    /// (answered once durable, so a terminal may drop them from its
    /// outbox), the newest becoming its position.
    pub async fn report_fixes(
        &self,
        unit_id: &str,
        fixes: &[dispatch::FixReport],
    ) -> Result<Unit, AppError> {
        let unit = self
            .apply(|e, now| e.report_fixes(now, unit_id, fixes))
            .await?;
        self.unit_moved(unit_id);
        Ok(unit)
    }

    /// Records that order `order_seq` reached unit `unit_id`'s terminal,
    /// the first time only (a terminal reconnecting gets it again).
    pub async fn order_delivered(
        &self,
        actor: &str,
        unit_id: &str,
        order_seq: i64,
    ) -> Result<(), AppError> {
        let Some(order) = self.store.unit_order(unit_id, order_seq).await? else {
            return Ok(());
        };
        if order.delivered_at.is_some() {
            return Ok(());
        }
        self.apply(|e, now| {
            e.order_delivered(now, actor, unit_id, order_seq, order.incident_id)
                .map(|ch| ((), ch))
        })
        .await
    }

    /// Records a unit's new position (persisted and broadcast in batches).
    fn unit_moved(&self, unit_id: &str) {
        self.moved
            .lock()
            .expect("moved lock")
            .insert(unit_id.to_string());
    }

    /// The user of a session token hash.
    pub async fn session(&self, hash: &str) -> Result<User, AppError> {
        let now = self.now();
        if let Some(u) = self.sessions.lock().expect("sessions lock").get(hash)
            && u.expires_at > now
        {
            return Ok(u.clone());
        }
        let expired =
            || AppError::unauthorized("the session has expired or was revoked; log in again");
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
            unit_id: rec.unit_id,
        };
        self.sessions
            .lock()
            .expect("sessions lock")
            .insert(hash.into(), user.clone());
        Ok(user)
    }

    /// The user of a user name and password sent with every request (HTTP
    /// Basic, as OwnTracks sends it). Checked once, then cached for five
    /// minutes under a hash of both, so a terminal reporting every few
    /// seconds costs one Argon2 check per five minutes.
    pub async fn password_user(&self, username: &str, password: &str) -> Result<User, AppError> {
        const CACHED_MS: Millis = 5 * 60 * 1000;
        let now = self.now();
        let key = auth::token_hash(&format!("basic\0{username}\0{password}"));
        if let Some(u) = self.sessions.lock().expect("sessions lock").get(&key)
            && u.expires_at > now
        {
            return Ok(u.clone());
        }
        let refused = || AppError::unauthorized("wrong user name or password");
        let rec = self
            .store
            .user(username)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(refused)?;
        let (password, hash) = (password.to_string(), rec.password_hash.clone());
        let good = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
            .await
            .unwrap_or(false);
        if !good {
            return Err(refused());
        }
        let user = User {
            username: rec.username,
            role: rec.role,
            scope: rec.scope,
            display_name: rec.display_name,
            token_hash: key.clone(),
            expires_at: now + CACHED_MS,
            unit_id: rec.unit_id,
        };
        self.sessions
            .lock()
            .expect("sessions lock")
            .insert(key, user.clone());
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

/// The jurisdictions an incident's place lies in.
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

/// Timers (overdue phases, every second), position persistence and the
/// batched position feed. Stops when the app is dropped.
async fn background(app: std::sync::Weak<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut seconds: u64 = 0;
    loop {
        tick.tick().await;
        let Some(app) = app.upgrade() else { return };
        app.reload_if_stale().await;
        // Records stored before identity-check keys were kept get theirs, once.
        if seconds == 0 {
            // Rows from before records were filed (the lists' migration), once.
            match app.store.file_records().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(message = "community records filed", records = n),
                Err(e) => tracing::error!(message = "filing community records failed", error = %e),
            }
            match app.store.index_person_keys().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(message = "identity-check keys written", records = n),
                Err(e) => tracing::error!(message = "identity-check keys failed", error = %e),
            }
        }
        // Personal data past its retention period: at start, then hourly.
        if seconds.is_multiple_of(3600) {
            match repository::purge_expired(&app, app.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(message = "retention purge", records = n),
                Err(e) => tracing::error!(message = "retention purge failed", error = %e),
            }
        }
        seconds += 1;
        let overdue = {
            let mut engine = app.engine();
            engine.overdue(app.now())
        };
        if !overdue.is_empty() {
            // Published by the store's writer once durable, like every change.
            if let Err(e) = app.store.commit(overdue).await {
                tracing::error!(message = "could not store overdue flags", error = %e);
            }
        }
        let moved: Vec<String> = app.moved.lock().expect("moved lock").drain().collect();
        if !moved.is_empty() {
            let units: Vec<Unit> = {
                let engine = app.engine();
                moved
                    .iter()
                    .filter_map(|id| engine.unit(id).cloned())
                    .collect()
            };
            let positions: Vec<Position> = units
                .iter()
                .map(|u| Position {
                    scopes: app.unit_scopes(u),
                    unit_id: u.id.clone(),
                    lat: u.lat,
                    lon: u.lon,
                    status: u.status,
                })
                .collect();
            app.store.commit_later(Changes {
                units,
                ..Default::default()
            });
            if app.feed.subscribers() > 0 {
                // One message per second with every moved unit; scoped consoles get their own units only.
                app.feed.publish(Arc::new(FeedItem::new(
                    vec![],
                    FeedMessage::Positions(positions),
                )));
            }
        }
    }
}

/// Publishes what the store committed, in commit order, until the app is
/// dropped: a later change can never overtake an earlier one on the feed.
async fn publisher(
    app: std::sync::Weak<App>,
    mut committed: tokio::sync::mpsc::UnboundedReceiver<Arc<Changes>>,
) {
    while let Some(changes) = committed.recv().await {
        let Some(app) = app.upgrade() else { return };
        app.publish(&changes);
    }
}
