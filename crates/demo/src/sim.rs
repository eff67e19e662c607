//! The demo simulator: places 110 calls (time-of-day profile, hot areas),
//! optionally auto-dispatches the two-way recommendation, and drives units
//! along real roads at road speeds through the whole lifecycle, so the
//! system is visibly alive. It acts only through the engine's commands, as
//! a dispatcher would, and as each unit's field terminal does: it reads its
//! orders (delivered), acknowledges them a few seconds later, reports
//! statuses with the device's time and an idempotency key under the unit's
//! account, and positions at the advised rate, so what the demo shows is
//! what terminals do.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use citygen::{HotArea, Rng};
use dispatch::{IncidentStatus, LatLon, NewIncident, UnitKind, UnitStatus, haversine_m};

use app::App;

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Average calls per hour (scaled by the time-of-day profile).
    pub calls_per_hour: f64,
    /// Send the recommended two-way dispatch automatically after `dispatch_delay_s`.
    pub auto_dispatch: bool,
    /// Seconds a call waits before the simulated dispatcher acts.
    pub dispatch_delay_s: f64,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Where calls cluster.
    pub hot_areas: Vec<HotArea>,
    /// Idle patrol cars drive short patrols from their posts.
    pub patrols: bool,
    /// Seed.
    pub seed: u64,
    /// Hours added to UTC for the time-of-day profile.
    pub utc_offset_h: i64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            calls_per_hour: 90.0,
            auto_dispatch: true,
            dispatch_delay_s: 12.0,
            speed: 1.0,
            hot_areas: vec![],
            patrols: true,
            seed: 1,
            utc_offset_h: app::LOCAL_UTC_OFFSET_MIN / 60,
        }
    }
}

/// Relative call volume by hour of day (peaks in the evening, trough before dawn).
pub const HOURLY_PROFILE: [f64; 24] = [
    0.9, 0.7, 0.5, 0.4, 0.35, 0.4, 0.55, 0.75, 0.9, 1.0, 1.05, 1.1, 1.1, 1.05, 1.05, 1.1, 1.2, 1.3,
    1.45, 1.55, 1.55, 1.45, 1.25, 1.05,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    ToScene(i64),
    Return,
    Patrol,
}

#[derive(Debug)]
struct Motion {
    purpose: Purpose,
    path: Vec<LatLon>,
    cum_m: Vec<f64>,
    total_s: f64,
    elapsed_s: f64,
}

impl Motion {
    fn new(purpose: Purpose, seconds: f64, path: Vec<LatLon>) -> Self {
        let mut cum = vec![0.0];
        for w in path.windows(2) {
            cum.push(cum.last().copied().unwrap_or(0.0) + haversine_m(w[0], w[1]));
        }
        Motion {
            purpose,
            path,
            cum_m: cum,
            total_s: seconds.max(1.0),
            elapsed_s: 0.0,
        }
    }
    fn position(&self) -> LatLon {
        let total = *self.cum_m.last().unwrap_or(&0.0);
        let d = total * (self.elapsed_s / self.total_s).min(1.0);
        let i = self
            .cum_m
            .partition_point(|c| *c < d)
            .clamp(1, self.path.len().max(2) - 1);
        if self.path.len() < 2 {
            return self.path[0];
        }
        let (a, b) = (self.path[i - 1], self.path[i]);
        let seg = self.cum_m[i] - self.cum_m[i - 1];
        let t = if seg > 0.0 {
            (d - self.cum_m[i - 1]) / seg
        } else {
            1.0
        };
        LatLon {
            lat: a.lat + (b.lat - a.lat) * t,
            lon: a.lon + (b.lon - a.lon) * t,
        }
    }
    fn arrived(&self) -> bool {
        self.elapsed_s >= self.total_s
    }
}

pub(crate) const KINDS: [(&str, f64); 11] = [
    ("dispute", 22.0),
    ("theft", 18.0),
    ("traffic_accident", 14.0),
    ("noise", 10.0),
    ("medical", 8.0),
    ("lost_property", 7.0),
    ("other", 7.0),
    ("robbery", 4.0),
    ("missing_person", 4.0),
    ("violent_crime", 4.0),
    ("fire", 2.0),
];
pub(crate) const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
];
pub(crate) const GIVEN: [&str; 16] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
];

/// A call's kind, drawn with the weights of [`KINDS`].
pub(crate) fn random_kind(rng: &mut Rng) -> &'static str {
    let total: f64 = KINDS.iter().map(|k| k.1).sum();
    let mut r = rng.f64() * total;
    for (k, w) in KINDS {
        r -= w;
        if r <= 0.0 {
            return k;
        }
    }
    "other"
}

pub(crate) fn poisson(rng: &mut Rng, lambda: f64) -> usize {
    let l = (-lambda).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.f64();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

struct Sim {
    app: Arc<App>,
    opts: SimOptions,
    rng: Rng,
    motions: HashMap<String, Motion>,
    /// Simulated seconds each unit has spent dispatched but not yet rolling.
    turnout: HashMap<String, f64>,
    /// Simulated seconds incidents spent in their current status.
    dwell: HashMap<i64, (IncidentStatus, f64)>,
    attempts: HashMap<i64, u32>,
    /// Per unit: the last order its "terminal" read.
    order_seen: HashMap<String, i64>,
    /// Per unit: simulated seconds since its last position report.
    since_fix: HashMap<String, f64>,
    /// Units whose current orders were acknowledged.
    acked: std::collections::HashSet<String>,
}

/// A call location: in a hot area (65%) or near a random junction.
pub(crate) fn random_point(g: &roads::Graph, hot_areas: &[HotArea], rng: &mut Rng) -> LatLon {
    let total: f64 = hot_areas.iter().map(|h| h.weight).sum();
    if total > 0.0 && rng.f64() < 0.65 {
        let mut r = rng.f64() * total;
        let mut hot = hot_areas[0];
        for h in hot_areas {
            r -= h.weight;
            if r <= 0.0 {
                hot = *h;
                break;
            }
        }
        let proj = roads::LocalProjection::new(hot.centre);
        return proj.to_latlon([rng.normal() * hot.sigma_m, rng.normal() * hot.sigma_m]);
    }
    let n = g.stats().nodes;
    let p = g.node(rng.below(n) as u32);
    LatLon {
        lat: p.lat + (rng.f64() - 0.5) * 0.0004,
        lon: p.lon + (rng.f64() - 0.5) * 0.0004,
    }
}

/// Runs until the app is dropped.
pub async fn run(app: Arc<App>, opts: SimOptions) {
    let rng = Rng::new(opts.seed ^ app.now() as u64);
    let mut sim = Sim {
        app,
        opts,
        rng,
        motions: HashMap::new(),
        turnout: HashMap::new(),
        dwell: HashMap::new(),
        attempts: HashMap::new(),
        order_seen: HashMap::new(),
        since_fix: HashMap::new(),
        acked: std::collections::HashSet::new(),
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        if Arc::strong_count(&sim.app) <= 1 {
            return;
        }
        sim.step(sim.opts.speed).await;
    }
}

impl Sim {
    async fn step(&mut self, dt: f64) {
        self.place_calls(dt).await;
        if self.opts.auto_dispatch {
            self.auto_dispatch(dt).await;
        }
        self.drive(dt).await;
        self.progress_incidents(dt).await;
    }

    fn random_point(&mut self) -> LatLon {
        random_point(self.app.graph(), &self.opts.hot_areas, &mut self.rng)
    }

    async fn place_calls(&mut self, dt: f64) {
        let hour =
            dispatch::time::hour_of_day(self.app.now(), self.opts.utc_offset_h * 60) as usize;
        let lambda = self.opts.calls_per_hour / 3600.0 * dt * HOURLY_PROFILE[hour];
        for _ in 0..poisson(&mut self.rng, lambda) {
            let p = self.random_point();
            let kind = random_kind(&mut self.rng);
            let name = format!(
                "{}{}",
                SURNAMES[self.rng.below(16)],
                GIVEN[self.rng.below(16)]
            );
            let phone = format!("13{:09}", self.rng.next_u64() % 1_000_000_000);
            let call = NewIncident {
                kind: kind.into(),
                lat: p.lat,
                lon: p.lon,
                caller_name: Some(name),
                caller_phone: Some(phone),
                ..Default::default()
            };
            // Points off the network or outside the city are simply not called in.
            let _ = self
                .app
                .apply(|e, now| e.create_incident(now, "simulator", call))
                .await;
        }
    }

    async fn auto_dispatch(&mut self, dt: f64) {
        let now = self.app.now();
        let waiting: Vec<i64> = self.app.read(|engine| {
            engine
                .incidents()
                .filter(|i| {
                    i.status == IncidentStatus::Received
                        && (now - i.created_at) as f64 / 1000.0 * self.opts.speed
                            >= self.opts.dispatch_delay_s
                })
                .map(|i| i.id)
                .collect()
        });
        let _ = dt;
        for id in waiting {
            let attempt = self.attempts.entry(id).or_insert(0);
            *attempt += 1;
            let key = format!("sim-{id}-{attempt}");
            let units = match self.app.read(|e| e.recommend(id, &[])) {
                Ok(r) => r.two_way.unit_ids,
                Err(_) => continue,
            };
            if units.is_empty() {
                continue;
            }
            let _ = self
                .app
                .apply(|e, now| e.dispatch(now, "sim-dispatcher", id, &units, &key))
                .await;
        }
    }

    fn plan(&mut self, unit: &str, from: LatLon, to: LatLon, purpose: Purpose) {
        let route = self.app.read(|engine| {
            let kind = engine.unit(unit).map_or(UnitKind::PatrolCar, |u| u.kind);
            let max = engine.config().max_snap_m;
            let travel = engine.travel();
            let (Ok(a), Ok(b)) = (travel.locate(from, max), travel.locate(to, max)) else {
                return None;
            };
            let (seconds, path) = travel.route(&a, &b)?;
            Some((
                dispatch::engine::travel_seconds(kind, seconds, haversine_m(from, to)),
                path,
            ))
        });
        if let Some((seconds, mut path)) = route {
            if path.is_empty() {
                path = vec![from, to];
            }
            self.motions
                .insert(unit.to_string(), Motion::new(purpose, seconds, path));
        }
    }

    async fn drive(&mut self, dt: f64) {
        struct View {
            id: String,
            status: UnitStatus,
            kind: UnitKind,
            at: LatLon,
            incident: Option<(i64, LatLon)>,
            home: LatLon,
        }
        let views: Vec<View> = self.app.read(|engine| {
            engine
                .units()
                .iter()
                .map(|u| {
                    let home = u
                        .post_id
                        .as_ref()
                        .and_then(|p| engine.posts().iter().find(|x| &x.id == p))
                        .map(|p| LatLon {
                            lat: p.lat,
                            lon: p.lon,
                        })
                        .or_else(|| {
                            self.app
                                .jurisdictions()
                                .get(&u.home_station)
                                .and_then(|j| j.seat)
                                .map(|s| LatLon {
                                    lat: s[1],
                                    lon: s[0],
                                })
                        })
                        .unwrap_or(u.position());
                    View {
                        id: u.id.clone(),
                        status: u.status,
                        kind: u.kind,
                        at: u.position(),
                        incident: u
                            .incident_id
                            .and_then(|i| engine.incident(i))
                            .map(|i| (i.id, i.position())),
                        home,
                    }
                })
                .collect()
        });
        for v in views {
            let current = self.motions.get(&v.id).map(|m| m.purpose);
            let wanted = match (v.status, v.incident) {
                (UnitStatus::EnRoute, Some((iid, _))) => Some(Purpose::ToScene(iid)),
                (UnitStatus::Returning, _) => Some(Purpose::Return),
                (UnitStatus::Available, _)
                    if current == Some(Purpose::Patrol) || current == Some(Purpose::Return) =>
                {
                    current
                }
                _ => None,
            };
            if current != wanted {
                self.motions.remove(&v.id);
                match (wanted, v.incident) {
                    (Some(Purpose::ToScene(_)), Some((iid, target))) => {
                        self.plan(&v.id, v.at, target, Purpose::ToScene(iid))
                    }
                    (Some(Purpose::Return), _) => self.plan(&v.id, v.at, v.home, Purpose::Return),
                    _ => {}
                }
            }
            // Dispatched crews read the order on the terminal, acknowledge it,
            // need a moment to reach the car, then roll.
            if v.status == UnitStatus::Dispatched {
                let waited = self.turnout.entry(v.id.clone()).or_insert(0.0);
                let first = *waited == 0.0;
                *waited += dt;
                let (waited, id) = (*waited, v.id.clone());
                if first {
                    self.read_orders(&id, false).await;
                }
                // A few seconds to look and tap (at least once before rolling).
                let roll = waited >= 8.0 + (v.id.len() % 5) as f64 * 3.0;
                if (waited >= 3.0 || roll) && self.acked.insert(id.clone()) {
                    self.read_orders(&id, true).await;
                }
                if roll {
                    self.acked.remove(&id);
                    self.turnout.remove(&v.id);
                    self.report(&id, UnitStatus::EnRoute).await;
                }
                continue;
            }
            if v.status == UnitStatus::Available
                && self.opts.patrols
                && v.kind == UnitKind::PatrolCar
                && !self.motions.contains_key(&v.id)
                && self.rng.f64() < dt / 600.0
            {
                let proj = roads::LocalProjection::new(v.home);
                let to = proj.to_latlon([
                    (self.rng.f64() - 0.5) * 2500.0,
                    (self.rng.f64() - 0.5) * 2500.0,
                ]);
                self.plan(&v.id, v.at, to, Purpose::Patrol);
            }
            let Some(m) = self.motions.get_mut(&v.id) else {
                continue;
            };
            m.elapsed_s += dt;
            let p = m.position();
            let (arrived, purpose) = (m.arrived(), m.purpose);
            // At the advised rate while moving, and on arrival.
            let since = self.since_fix.entry(v.id.clone()).or_insert(f64::INFINITY);
            *since += dt;
            let every = f64::from(self.app.settings().dispatch.position_advice.moving_every_s);
            if *since >= every || arrived {
                *since = 0.0;
                let fix = dispatch::FixReport {
                    at: Some(self.app.now()),
                    lat: p.lat,
                    lon: p.lon,
                    ..Default::default()
                };
                // A unit that left the city (or was removed) just stays put.
                let _ = self.app.report_fixes(&v.id, &[fix]).await;
            }
            if arrived {
                self.motions.remove(&v.id);
                let id = v.id.clone();
                match purpose {
                    Purpose::ToScene(_) => self.report(&id, UnitStatus::OnScene).await,
                    Purpose::Return if v.status == UnitStatus::Returning => {
                        self.report(&id, UnitStatus::Available).await
                    }
                    Purpose::Patrol => self.plan(&v.id, p, v.home, Purpose::Return),
                    Purpose::Return => {}
                }
            }
        }
    }

    /// What unit `id`'s terminal does with its orders: reads the new ones
    /// (delivered) and, when `acknowledge`, taps each.
    async fn read_orders(&mut self, id: &str, acknowledge: bool) {
        let account = id.to_lowercase();
        let after = self.order_seen.get(id).copied().unwrap_or(0);
        let Ok(orders) = self.app.store().unit_orders(id, after, 50).await else {
            return;
        };
        for o in &orders {
            let _ = self.app.order_delivered(&account, id, o.seq).await;
            if acknowledge && o.acked_at.is_none() {
                let (incident, now) = (o.incident_id, self.app.now());
                let _ = self
                    .app
                    .apply(|e, at| {
                        e.acknowledge(at, &account, id, o.seq, incident, Some(now))
                            .map(|ch| ((), ch))
                    })
                    .await;
            }
        }
        if acknowledge && let Some(last) = orders.last() {
            self.order_seen.insert(id.to_string(), last.seq);
        }
    }

    /// A status tapped on unit `id`'s terminal, at the device's time, once.
    async fn report(&mut self, id: &str, status: UnitStatus) {
        let account = id.to_lowercase();
        let now = self.app.now();
        let key = format!("sim-{now}-{}", status.as_str());
        let _ = self
            .app
            .apply(|e, at| e.report_status(at, Some(now), &account, id, status, Some(&key)))
            .await;
    }

    async fn progress_incidents(&mut self, dt: f64) {
        let open: Vec<(i64, IncidentStatus, u8)> = self.app.read(|engine| {
            engine
                .incidents()
                .filter(|i| {
                    matches!(
                        i.status,
                        IncidentStatus::OnScene | IncidentStatus::Controlled
                    )
                })
                .map(|i| (i.id, i.status, i.priority))
                .collect()
        });
        self.dwell
            .retain(|id, _| open.iter().any(|(o, _, _)| o == id));
        for (id, status, priority) in open {
            let entry = self.dwell.entry(id).or_insert((status, 0.0));
            if entry.0 != status {
                *entry = (status, 0.0);
            }
            entry.1 += dt;
            let needed = match status {
                IncidentStatus::OnScene => 60.0 + 40.0 * f64::from(5 - priority.min(4)),
                _ => 90.0,
            };
            if entry.1 >= needed {
                let next = if status == IncidentStatus::OnScene {
                    IncidentStatus::Controlled
                } else {
                    IncidentStatus::Closed
                };
                let _ = self
                    .app
                    .apply(|e, now| e.set_status(now, "simulator", id, next, None))
                    .await;
            }
        }
    }
}
