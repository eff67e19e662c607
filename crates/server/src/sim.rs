//! The demo simulator: places 110 calls (time-of-day profile, hot areas),
//! optionally auto-dispatches the two-way recommendation, and drives units
//! along real roads at road speeds through the whole lifecycle, so the
//! system is visibly alive. It acts only through the engine's commands, as
//! a dispatcher and the units' crews would.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use citygen::{HotArea, Rng};
use dispatch::{IncidentStatus, LatLon, NewIncident, UnitKind, UnitStatus, haversine_m};

use crate::App;

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
            utc_offset_h: 8,
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

const KINDS: [(&str, f64); 11] = [
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
const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: [&str; 16] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
];

fn poisson(rng: &mut Rng, lambda: f64) -> usize {
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
}

/// A call location: in a hot area (65%) or near a random junction.
fn random_point(g: &roads::Graph, hot_areas: &[HotArea], rng: &mut Rng) -> LatLon {
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
        random_point(self.app.graph, &self.opts.hot_areas, &mut self.rng)
    }

    async fn place_calls(&mut self, dt: f64) {
        let hour =
            dispatch::time::hour_of_day(self.app.now(), self.opts.utc_offset_h * 60) as usize;
        let lambda = self.opts.calls_per_hour / 3600.0 * dt * HOURLY_PROFILE[hour];
        for _ in 0..poisson(&mut self.rng, lambda) {
            let p = self.random_point();
            let total: f64 = KINDS.iter().map(|k| k.1).sum();
            let mut r = self.rng.f64() * total;
            let mut kind = "other";
            for (k, w) in KINDS {
                r -= w;
                if r <= 0.0 {
                    kind = k;
                    break;
                }
            }
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
        let waiting: Vec<i64> = {
            let engine = self.app.engine();
            engine
                .incidents()
                .filter(|i| {
                    i.status == IncidentStatus::Received
                        && (now - i.created_at) as f64 / 1000.0 * self.opts.speed
                            >= self.opts.dispatch_delay_s
                })
                .map(|i| i.id)
                .collect()
        };
        let _ = dt;
        for id in waiting {
            let attempt = self.attempts.entry(id).or_insert(0);
            *attempt += 1;
            let key = format!("sim-{id}-{attempt}");
            let units = match self.app.engine().recommend(id, &[]) {
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
        let mut engine = self.app.engine();
        let kind = engine.unit(unit).map_or(UnitKind::PatrolCar, |u| u.kind);
        let max = engine.config().max_snap_m;
        let travel = engine.travel();
        let (Ok(a), Ok(b)) = (travel.locate(from, max), travel.locate(to, max)) else {
            return;
        };
        if let Some((seconds, mut path)) = travel.route(&a, &b) {
            if path.is_empty() {
                path = vec![from, to];
            }
            let seconds = dispatch::engine::travel_seconds(kind, seconds, haversine_m(from, to));
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
        let views: Vec<View> = {
            let engine = self.app.engine();
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
                                .jurisdictions
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
        };
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
            // Dispatched crews need a moment to reach the car, then roll.
            if v.status == UnitStatus::Dispatched {
                let waited = self.turnout.entry(v.id.clone()).or_insert(0.0);
                *waited += dt;
                if *waited >= 8.0 + (v.id.len() % 5) as f64 * 3.0 {
                    self.turnout.remove(&v.id);
                    let id = v.id.clone();
                    let _ = self
                        .app
                        .apply(|e, now| e.unit_status(now, &id, &id, UnitStatus::EnRoute))
                        .await;
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
            {
                let mut engine = self.app.engine();
                if engine
                    .unit_position(self.app.now(), &v.id, p.lat, p.lon)
                    .is_ok()
                {
                    self.app.unit_moved(&v.id);
                }
            }
            if arrived {
                self.motions.remove(&v.id);
                let id = v.id.clone();
                match purpose {
                    Purpose::ToScene(_) => {
                        let _ = self
                            .app
                            .apply(|e, now| e.unit_status(now, &id, &id, UnitStatus::OnScene))
                            .await;
                    }
                    Purpose::Return if v.status == UnitStatus::Returning => {
                        let _ = self
                            .app
                            .apply(|e, now| e.unit_status(now, &id, &id, UnitStatus::Available))
                            .await;
                    }
                    Purpose::Patrol => self.plan(&v.id, p, v.home, Purpose::Return),
                    Purpose::Return => {}
                }
            }
        }
    }

    async fn progress_incidents(&mut self, dt: f64) {
        let open: Vec<(i64, IncidentStatus, u8)> = {
            let engine = self.app.engine();
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
        };
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

/// Closed incidents of the past `days` days, so that a new demo city has a
/// history to analyse (trends, hotspots, near repeats, briefings): about
/// `per_day` calls a day with the simulator's kinds, hour profile and hot
/// areas; thefts and robberies are followed by a near repeat (within 200 m
/// and 1-10 days) one time in four, and thefts fall over the period. The
/// incidents are imported (event `imported`, source `demo-history`) in one
/// commit. Returns how many were written.
pub async fn seed_history(
    app: &App,
    opts: &SimOptions,
    days: u32,
    per_day: f64,
) -> Result<usize, crate::error::ApiError> {
    let mut rng = Rng::new(opts.seed ^ 0x4849_5354);
    let now = app.now();
    let day_ms = 86_400_000i64;
    let start = (now / day_ms - days as i64) * day_ms;
    let hourly_total: f64 = HOURLY_PROFILE.iter().sum();
    let mut calls: Vec<(i64, &'static str, LatLon)> = Vec::new();
    for d in 0..days as i64 {
        for (h, w) in HOURLY_PROFILE.iter().enumerate() {
            let lambda = per_day * w / hourly_total;
            for _ in 0..poisson(&mut rng, lambda) {
                let at = start + d * day_ms + h as i64 * 3_600_000 - opts.utc_offset_h * 3_600_000
                    + (rng.f64() * 3_600_000.0) as i64;
                let age = 1.0 - d as f64 / days as f64;
                let total: f64 = KINDS.iter().map(|k| k.1).sum();
                let mut r = rng.f64() * total;
                let mut kind = "other";
                for (k, wk) in KINDS {
                    r -= wk;
                    if r <= 0.0 {
                        kind = k;
                        break;
                    }
                }
                // Thefts fall: older days have up to 30% more.
                if kind == "theft" && rng.f64() > 1.0 / (1.0 + 0.3 * age) {
                    continue;
                }
                let p = random_point(app.graph, &opts.hot_areas, &mut rng);
                calls.push((at, kind, p));
                if matches!(kind, "theft" | "robbery") && rng.f64() < 0.25 {
                    let proj = roads::LocalProjection::new(p);
                    let q = proj.to_latlon([(rng.f64() - 0.5) * 300.0, (rng.f64() - 0.5) * 300.0]);
                    let later = at + (1.0 + rng.f64() * 9.0) as i64 * day_ms;
                    if later < now {
                        calls.push((later, kind, q));
                    }
                }
            }
        }
    }
    calls.sort_by_key(|c| c.0);
    let written = app
        .apply(|e, now| {
            let mut all = dispatch::Changes::default();
            let mut n = 0usize;
            for (at, kind, p) in calls {
                let priority = e.config().kind(kind).map_or(3, |k| k.default_priority);
                // Arrival: a few minutes, longer away from the hot areas' posts.
                let dispatched = at + 20_000 + (rng.f64() * 60_000.0) as i64;
                let on_scene = dispatched + (60_000.0 + rng.normal().abs() * 180_000.0) as i64;
                let closed = on_scene + (600_000.0 + rng.f64() * 3_000_000.0) as i64;
                let incident = dispatch::Incident {
                    id: 0,
                    kind: kind.into(),
                    priority,
                    status: IncidentStatus::Closed,
                    lat: p.lat,
                    lon: p.lon,
                    address: None,
                    callers: vec![dispatch::Caller {
                        name: Some(format!(
                            "{}{}",
                            SURNAMES[rng.below(16)],
                            GIVEN[rng.below(16)]
                        )),
                        phone: None,
                        at,
                    }],
                    place: Default::default(),
                    created_at: at,
                    reached: vec![
                        (IncidentStatus::Received, at),
                        (IncidentStatus::Dispatched, dispatched),
                        (IncidentStatus::EnRoute, dispatched + 5_000),
                        (IncidentStatus::OnScene, on_scene),
                        (IncidentStatus::Closed, closed.min(now)),
                    ],
                    assignments: vec![],
                    merged_into: None,
                    merged_from: vec![],
                    possible_duplicates: vec![],
                    overdue: vec![],
                    description: None,
                };
                // Points outside the city's jurisdictions are skipped.
                if let Ok((_, ch)) =
                    e.import_incident(now, "demo-history", incident, "demo-history")
                {
                    all.incidents.extend(ch.incidents);
                    all.events.extend(ch.events);
                    n += 1;
                }
            }
            Ok((n, all))
        })
        .await?;
    Ok(written)
}

/// Case transfers and leads of the past `days` days for every station, in
/// the report's proportions: stations hand over criminal and vice cases
/// (most accepted within hours, some returned with a reason and resubmitted,
/// the newest still pending) and leads (about one in five used: the
/// report's 265 of 1,417). Stored in one transaction. Returns (transfers, leads).
pub async fn seed_community(
    app: &App,
    days: u32,
    seed: u64,
) -> Result<(usize, usize), crate::error::ApiError> {
    use community::transfer::{Lead, NewLead, NewTransfer, Transfer, UNITS};
    let mut rng = Rng::new(seed ^ 0x434F_4D4D);
    let now = app.now();
    let day_ms = 86_400_000i64;
    let stations: Vec<String> = app
        .jurisdictions
        .all()
        .iter()
        .filter(|j| j.level == dispatch::Level::Station)
        .map(|j| j.id.clone())
        .collect();
    const CASES: [(&str, &str, &str); 6] = [
        (
            "criminal",
            "criminal_investigation",
            "入室盗窃, 现场有撬压痕迹",
        ),
        (
            "criminal",
            "criminal_investigation",
            "电动车连续被盗, 疑为同一团伙",
        ),
        ("criminal", "economic_crime", "以投资理财为名诈骗"),
        ("criminal", "cyber", "网络刷单诈骗, 涉案金额较大"),
        ("vice", "public_order", "出租屋内聚众赌博"),
        ("vice", "narcotics", "群众举报有人吸食毒品"),
    ];
    const REASONS: [&str; 3] = ["缺少报案笔录", "不属于本单位管辖", "需补充现场勘查材料"];
    const LEADS: [&str; 4] = [
        "某出租屋人员进出频繁",
        "网格员发现可疑车辆",
        "外来人员无登记住宿",
        "群众反映夜间有人交易",
    ];
    let mut records = Vec::new();
    let (mut nt, mut nl) = (0, 0);
    // "两不办": the past criminal incidents go to the units (a few were missed).
    let owed: Vec<(i64, String, i64, &str, &str)> = {
        let engine = app.engine();
        engine
            .incidents()
            .filter_map(|i| {
                let (class, unit) = community::transfer::must_transfer(&i.kind)?;
                Some((i.id, i.place.station_id.clone()?, i.created_at, class, unit))
            })
            .collect()
    };
    for (incident, station, at, class, unit) in owed {
        let filed = at + (1_800_000.0 + rng.f64() * 8.0 * 3_600_000.0) as i64;
        if filed >= now || rng.f64() < 0.04 {
            continue;
        }
        let Ok(mut t) = Transfer::new(
            format!("T{filed}-{nt}"),
            station.clone(),
            NewTransfer {
                incident_id: Some(incident),
                case_class: class.into(),
                to_unit: unit.into(),
                summary: format!("110 警情 #{incident} 移交"),
                ..Default::default()
            },
            filed,
            &format!("officer-{}", station.to_lowercase()),
        ) else {
            continue;
        };
        let decide = filed + (600_000.0 + rng.normal().abs() * 3.0 * 3_600_000.0) as i64;
        if decide < now {
            let _ = t.accept(decide, "command-centre");
        }
        records.push(past_record(
            "transfer",
            &t.id,
            &station,
            filed,
            t.history.last().map_or(filed, |s| s.at),
            &t,
        ));
        nt += 1;
    }
    // Cases that came to the stations otherwise (walk-ins, patrol finds).
    for station in &stations {
        for d in 0..days as i64 {
            let day0 = now - (days as i64 - d) * day_ms;
            for _ in 0..poisson(&mut rng, 0.12) {
                let (class, unit, summary) = CASES[rng.below(CASES.len())];
                let at = day0 + (rng.f64() * day_ms as f64) as i64;
                let by = format!("officer-{}", station.to_lowercase());
                let Ok(mut t) = Transfer::new(
                    format!("T{at}-{nt}"),
                    station.clone(),
                    NewTransfer {
                        case_class: class.into(),
                        to_unit: unit.into(),
                        summary: summary.into(),
                        ..Default::default()
                    },
                    at,
                    &by,
                ) else {
                    continue;
                };
                let decide = at + (600_000.0 + rng.normal().abs() * 4.0 * 3_600_000.0) as i64;
                if decide < now {
                    if rng.f64() < 0.1 {
                        let _ = t.give_back(
                            decide,
                            "command-centre",
                            REASONS[rng.below(REASONS.len())],
                        );
                        let again = decide + (3_600_000.0 + rng.f64() * 86_400_000.0) as i64;
                        if again < now && rng.f64() < 0.8 {
                            let _ = t.resubmit(again, &by, "已补充材料");
                            let accept =
                                again + (1_800_000.0 + rng.f64() * 3.0 * 3_600_000.0) as i64;
                            if accept < now {
                                let _ = t.accept(accept, "command-centre");
                            }
                        }
                    } else {
                        let _ = t.accept(decide, "command-centre");
                    }
                }
                records.push(past_record(
                    "transfer",
                    &t.id,
                    &station,
                    at,
                    t.history.last().map_or(at, |s| s.at),
                    &t,
                ));
                nt += 1;
            }
            for _ in 0..poisson(&mut rng, 0.35) {
                let at = day0 + (rng.f64() * day_ms as f64) as i64;
                let by = format!("officer-{}", station.to_lowercase());
                let Ok(mut l) = Lead::new(
                    format!("L{at}-{nl}"),
                    station.clone(),
                    NewLead {
                        to_unit: UNITS[rng.below(UNITS.len())].into(),
                        summary: LEADS[rng.below(LEADS.len())].into(),
                        ..Default::default()
                    },
                    at,
                    &by,
                ) else {
                    continue;
                };
                let answered = at + (rng.f64() * 14.0 * day_ms as f64) as i64;
                if answered < now && rng.f64() < 0.7 {
                    let used = rng.f64() < 0.27;
                    let _ = l.give_feedback(
                        used,
                        used.then(|| "已核查, 据此立案".to_string()),
                        answered,
                        "command-centre",
                    );
                }
                records.push(past_record("lead", &l.id, &station, at, at, &l));
                nl += 1;
            }
        }
    }
    // Disputes screened in each community, most settled within days.
    use community::dispute::{Dispute, NewDispute, Party};
    const DISPUTES: [(&str, &str); 5] = [
        ("neighbour", "相邻通行纠纷"),
        ("family", "赡养老人纠纷"),
        ("property", "房屋租赁押金纠纷"),
        ("labour", "拖欠工资纠纷"),
        ("land", "宅基地界线争议"),
    ];
    let communities: Vec<String> = app
        .jurisdictions
        .all()
        .iter()
        .filter(|j| j.level == dispatch::Level::Community)
        .map(|j| j.id.clone())
        .collect();
    for (k, community) in communities.iter().enumerate() {
        for d in 0..days as i64 {
            for _ in 0..poisson(&mut rng, 0.04) {
                let at = now - (days as i64 - d) * day_ms + (rng.f64() * day_ms as f64) as i64;
                let (kind, summary) = DISPUTES[rng.below(DISPUTES.len())];
                let risk = ["low", "low", "medium", "medium", "high"][rng.below(5)];
                let name =
                    |rng: &mut Rng| format!("{}{}", SURNAMES[rng.below(16)], GIVEN[rng.below(16)]);
                let input = NewDispute {
                    community_id: community.clone(),
                    parties: vec![
                        Party {
                            name: name(&mut rng),
                            phone: None,
                        },
                        Party {
                            name: name(&mut rng),
                            phone: None,
                        },
                    ],
                    dispute_type: kind.into(),
                    risk: risk.into(),
                    summary: summary.into(),
                };
                let Ok(mut dispute) = Dispute::new(format!("D{at}-{k}"), input, at) else {
                    continue;
                };
                let step = at + (rng.f64() * 2.0 * day_ms as f64) as i64;
                if step < now {
                    let _ = dispute.mediate("社区民警与调解员上门调解", "demo", step);
                    let end = step + (rng.f64() * 8.0 * day_ms as f64) as i64;
                    if end < now {
                        if risk == "high" && rng.f64() < 0.3 {
                            let _ = dispute.escalate("派出所所长", "调解未果, 有激化风险", end);
                        } else {
                            let _ = dispute.close(rng.f64() < 0.9, "双方达成调解协议", 30, end);
                            // The 30-day visit, made around its date; one not yet made is at most weeks late.
                            let due = end + 30 * day_ms;
                            let visit = due + ((rng.f64() * 5.0 - 3.0) * day_ms as f64) as i64;
                            let late = now - due < 21 * day_ms && rng.f64() < 0.1;
                            if visit < now && !late {
                                let _ = dispute.follow_up_done(visit);
                            }
                        }
                    }
                }
                records.push(past_record(
                    community::dispute::DISPUTES.kind,
                    &dispute.id,
                    &community,
                    at,
                    at,
                    &dispute,
                ));
            }
        }
    }
    app.store
        .put_records(&records, "demo-history")
        .await
        .map_err(crate::error::ApiError::store)?;
    Ok((nt, nl))
}

/// A past community record, as the demo stores it.
fn past_record<T: serde::Serialize>(
    kind: &str,
    id: &str,
    jurisdiction: &str,
    created_at: i64,
    updated_at: i64,
    value: &T,
) -> store::CommunityRecord {
    store::CommunityRecord {
        kind: kind.into(),
        id: id.into(),
        jurisdiction_id: jurisdiction.into(),
        doc: serde_json::to_string(value).expect("serialises"),
        created_at,
        updated_at,
        deleted_at: None,
    }
}

/// When a demo record with a time limit was closed, or `None` while it is
/// still open: most close inside the limit, a few slip past it, and what is
/// still open or overdue is recent, as in a station that keeps up its work.
fn settle(rng: &mut Rng, at: i64, limit: i64, now: i64) -> Option<i64> {
    let age = now - at;
    let slipped = rng.f64() < 0.03;
    let close = at
        + (limit as f64
            * if slipped {
                1.1 + rng.f64()
            } else {
                0.2 + 0.75 * rng.f64()
            }) as i64;
    // Overdue work left open is at most a few weeks old.
    let left_open = slipped && age < limit + 21 * 86_400_000 && rng.f64() < 0.5;
    (close < now && !left_open).then_some(close)
}

fn demo_name(rng: &mut Rng) -> String {
    format!("{}{}", SURNAMES[rng.below(16)], GIVEN[rng.below(16)])
}

/// A resident identity number with a correct check character.
fn demo_id_number(rng: &mut Rng) -> String {
    let born = 1950 + rng.below(55);
    let base = format!(
        "110105{born}{:02}{:02}{:03}",
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(1000)
    );
    "0123456789X"
        .chars()
        .map(|c| format!("{base}{c}"))
        .find(|n| community::ledger::valid_id_number(n))
        .expect("one check character fits")
}

fn demo_phone(rng: &mut Rng) -> String {
    format!("13{}{:08}", rng.below(10), rng.below(100_000_000))
}

fn local_date(ms: i64) -> String {
    dispatch::time::format_rfc3339(ms + crate::LOCAL_UTC_OFFSET_MIN * 60_000)[..10].to_string()
}

/// What [`seed_ledgers`] wrote, per ledger kind.
pub type LedgerCounts = std::collections::BTreeMap<&'static str, usize>;

/// Fills the ledgers of every community with a believable past: 1+X+N
/// staffing, community days, residents, rental housing, floating population,
/// regulated venues with inspections, and the 365x24 service (lost and found
/// property with matches, missing persons, livelihood requests). Every
/// record goes through the same validation and workflow as the API's.
pub async fn seed_ledgers(
    app: &App,
    days: u32,
    seed: u64,
) -> Result<LedgerCounts, crate::error::ApiError> {
    use community::ledgers::*;
    use serde_json::json;
    let mut rng = Rng::new(seed ^ 0x4C45_4447);
    let now = app.now();
    let day = 86_400_000i64;
    let hour = 3_600_000i64;
    let start = now - days as i64 * day;
    let mut entries: Vec<Entry> = Vec::new();
    let tree = &app.jurisdictions;
    let communities: Vec<(String, String)> = tree
        .all()
        .iter()
        .filter(|j| j.level == dispatch::Level::Community)
        .map(|j| {
            let station = tree
                .ancestors(&j.id)
                .find(|a| a.level == dispatch::Level::Station)
                .map(|a| a.id.clone())
                .unwrap_or_default();
            (j.id.clone(), station)
        })
        .collect();
    let mut n = 0usize;
    let mut make = |l: &Ledger, c: &(String, String), fields: serde_json::Value, at: i64| {
        n += 1;
        let id = if l.one_per_community {
            c.0.clone()
        } else {
            format!("{}-{at}-{n}", l.register.kind)
        };
        l.create(
            id,
            &c.0,
            &c.1,
            fields.as_object().expect("object"),
            "demo",
            at,
        )
        .unwrap_or_else(|e| panic!("demo {} record: {e}", l.register.kind))
    };
    const POSTS: [&str; 3] = ["村党支部副书记", "村委会副主任", "居委会副主任"];
    const ORIGINS: [&str; 6] = [
        "河南省周口市",
        "四川省达州市",
        "安徽省阜阳市",
        "湖南省邵阳市",
        "江西省赣州市",
        "贵州省毕节市",
    ];
    const JOBS: [&str; 5] = ["快递员", "建筑工人", "餐饮服务员", "个体经营", "工厂工人"];
    const STREETS: [&str; 6] = ["幸福路", "人民路", "建设街", "和平里", "新村路", "文化巷"];
    let address = |rng: &mut Rng| {
        format!(
            "{}{}号{}单元",
            STREETS[rng.below(6)],
            1 + rng.below(200),
            1 + rng.below(6)
        )
    };
    for (k, c) in communities.iter().enumerate() {
        // 1 + X + N.
        // Names repeat in a city; the police number keeps officers apart.
        let officer = format!("{} ({:06})", demo_name(&mut rng), 100_000 + k);
        let teams: Vec<serde_json::Value> = (0..1 + rng.below(3))
            .map(|k| {
                json!({"name": (["平安志愿者队", "红袖标巡逻队", "护校队"][k]), "size": 5 + rng.below(36)})
            })
            .collect();
        let mut staffing = json!({"officer": officer, "officer_phone": demo_phone(&mut rng),
            "auxiliaries": 1 + rng.below(4), "grid_workers": 2 + rng.below(9), "volunteer_teams": teams});
        if rng.f64() < 0.6 {
            staffing["committee_post"] = json!(POSTS[rng.below(3)]);
        }
        entries.push(make(&STAFFING, c, staffing, start));
        // Days in the community: most officers near or above 3.5 a week.
        let p = 0.4 + rng.f64() * 0.4;
        for d in 0..days as i64 {
            let at = start + d * day + 9 * hour;
            if at < now && rng.f64() < p {
                entries.push(make(
                    &COMMUNITY_DAYS,
                    c,
                    json!({"officer": officer, "date": local_date(at), "hours": 4 + rng.below(6),
                        "activities": (["走访入户", "矛盾排查", "巡逻防控", "安全宣传"][rng.below(4)])}),
                    at,
                ));
            }
        }
        for _ in 0..5 + rng.below(10) {
            let at = start + (rng.f64() * (now - start) as f64) as i64;
            entries.push(make(&RESIDENTS, c, json!({"name": demo_name(&mut rng), "id_number": demo_id_number(&mut rng),
                "gender": (["male", "female"][rng.below(2)]), "address": address(&mut rng), "phone": demo_phone(&mut rng),
                "household": (["registered", "registered", "resident_not_registered"][rng.below(3)])}), at));
        }
        for _ in 0..3 + rng.below(6) {
            let at = start + (rng.f64() * (now - start) as f64) as i64;
            let from = local_date(at);
            entries.push(make(&FLOATING_POPULATION, c, json!({"name": demo_name(&mut rng), "id_number": demo_id_number(&mut rng),
                "origin": ORIGINS[rng.below(6)], "address": address(&mut rng), "phone": demo_phone(&mut rng),
                "occupation": JOBS[rng.below(5)], "registered_on": from}), at));
        }
        for _ in 0..2 + rng.below(5) {
            let at = start + (rng.f64() * (now - start) as f64 * 0.3) as i64;
            let tenants: Vec<serde_json::Value> = (0..1 + rng.below(3))
                .map(|_| json!({"name": demo_name(&mut rng), "id_number": demo_id_number(&mut rng), "from": local_date(at)}))
                .collect();
            let mut e = make(
                &RENTAL_HOUSING,
                c,
                json!({"address": address(&mut rng), "landlord": demo_name(&mut rng),
                "landlord_phone": demo_phone(&mut rng), "rooms": 1 + rng.below(4), "tenants": tenants,
                "registered_on": local_date(at)}),
                at,
            );
            let mut t = at + (60.0 + rng.f64() * 40.0) as i64 * day;
            while t < now {
                let r = ["pass", "pass", "pass", "rectify"][rng.below(4)];
                let _ = RENTAL_HOUSING.act(
                    &mut e,
                    "inspect",
                    Some("消防、登记检查"),
                    Some(r),
                    None,
                    "demo",
                    t,
                );
                t += (80.0 + rng.f64() * 20.0) as i64 * day;
            }
            entries.push(e);
        }
        for _ in 0..rng.below(4) {
            let at = start;
            let cat = ["hotel", "internet_cafe", "entertainment", "hotel"][rng.below(4)];
            let name = match cat {
                "hotel" => format!("{}宾馆", STREETS[rng.below(6)]),
                "internet_cafe" => format!("{}网吧", STREETS[rng.below(6)]),
                _ => format!("{}KTV", STREETS[rng.below(6)]),
            };
            let mut e = make(
                &VENUES,
                c,
                json!({"name": name, "category": cat, "address": address(&mut rng),
                "licence": format!("公特旅字{:06}号", rng.below(1_000_000)), "manager": demo_name(&mut rng),
                "phone": demo_phone(&mut rng)}),
                at,
            );
            let mut t = at + (rng.f64() * 20.0) as i64 * day;
            while t < now {
                let r = ["pass", "pass", "pass", "rectify", "violation"][rng.below(5)];
                let _ = VENUES.act(
                    &mut e,
                    "inspect",
                    Some("例行检查, 核对住宿/上网登记"),
                    Some(r),
                    None,
                    "demo",
                    t,
                );
                // Most are inspected within the month; some slip.
                t += (20.0 + rng.f64() * 16.0) as i64 * day;
            }
            entries.push(e);
        }
    }
    // The 365x24 service, per station and day.
    const ITEMS: [(&str, &str, &str); 6] = [
        ("wallet", "黑色钱包", "黑色皮质钱包, 内有身份证和银行卡"),
        ("phone", "手机", "蓝色手机, 带透明手机壳"),
        ("keys", "钥匙串", "一串钥匙, 挂小熊挂件"),
        ("bag", "双肩包", "灰色双肩包, 内有笔记本电脑"),
        ("documents", "身份证", "居民身份证一张"),
        ("bicycle", "自行车", "红色山地自行车"),
    ];
    let mut by_station: std::collections::BTreeMap<&str, Vec<&(String, String)>> =
        std::collections::BTreeMap::new();
    for c in &communities {
        by_station.entry(c.1.as_str()).or_default().push(c);
    }
    for cs in by_station.values() {
        for d in 0..days as i64 {
            let day0 = start + d * day;
            let pick = |rng: &mut Rng| cs[rng.below(cs.len())];
            for _ in 0..poisson(&mut rng, 0.3) {
                let at = day0 + (rng.f64() * day as f64) as i64;
                let (cat, item, desc) = ITEMS[rng.below(ITEMS.len())];
                let c = pick(&mut rng);
                let mut lost = make(
                    &LOST_PROPERTY,
                    c,
                    json!({"item": item, "category": cat, "description": desc,
                    "lost_on": local_date(at), "place": format!("{}公交站", STREETS[rng.below(6)]),
                    "owner": demo_name(&mut rng), "owner_phone": demo_phone(&mut rng)}),
                    at,
                );
                if rng.f64() < 0.45 {
                    // Someone hands it in; it is matched and returned.
                    let f_at = at + (rng.f64() * 2.0 * day as f64) as i64;
                    let mut found = make(
                        &FOUND_ITEMS,
                        pick(&mut rng),
                        json!({"item": item, "category": cat,
                        "description": desc, "found_on": local_date(f_at), "finder": demo_name(&mut rng)}),
                        f_at,
                    );
                    let m_at = f_at + (rng.f64() * 6.0 * hour as f64) as i64;
                    if m_at < now {
                        let _ = LOST_PROPERTY.act(
                            &mut lost,
                            "match",
                            None,
                            None,
                            Some(&found.id),
                            "demo",
                            m_at,
                        );
                        let _ = FOUND_ITEMS.act(
                            &mut found,
                            "match",
                            None,
                            None,
                            Some(&lost.id),
                            "demo",
                            m_at,
                        );
                        let r_at = m_at + (rng.f64() * 3.0 * day as f64) as i64;
                        if r_at < now {
                            let _ = LOST_PROPERTY
                                .act(&mut lost, "return", None, None, None, "demo", r_at);
                            let _ = FOUND_ITEMS
                                .act(&mut found, "return", None, None, None, "demo", r_at);
                        }
                    }
                    entries.push(found);
                } else if let Some(c_at) = settle(&mut rng, at, 15 * day, now) {
                    let _ = LOST_PROPERTY.act(
                        &mut lost,
                        "close",
                        Some("未找到, 已告知失主"),
                        None,
                        None,
                        "demo",
                        c_at,
                    );
                }
                entries.push(lost);
            }
            for _ in 0..poisson(&mut rng, 0.1) {
                // Handed in with no owner known yet.
                let at = day0 + (rng.f64() * day as f64) as i64;
                let (cat, item, desc) = ITEMS[rng.below(ITEMS.len())];
                let mut found = make(
                    &FOUND_ITEMS,
                    pick(&mut rng),
                    json!({"item": item, "category": cat,
                    "description": desc, "found_on": local_date(at)}),
                    at,
                );
                if let Some(d_at) = settle(&mut rng, at, 30 * day, now) {
                    // Most are claimed by their owners; the rest go to the lost-property office.
                    let (action, note) = if rng.f64() < 0.4 {
                        ("return", "失主认领")
                    } else {
                        ("dispose", "招领期满, 移交遗失物保管")
                    };
                    let _ =
                        FOUND_ITEMS.act(&mut found, action, Some(note), None, None, "demo", d_at);
                }
                entries.push(found);
            }
            for _ in 0..poisson(&mut rng, 0.04) {
                let at = day0 + (rng.f64() * day as f64) as i64;
                let age = [4, 7, 78, 82, 85, 15][rng.below(6)];
                let mut e = make(
                    &MISSING_PERSONS,
                    pick(&mut rng),
                    json!({"name": demo_name(&mut rng), "age": age,
                    "gender": (["male", "female"][rng.below(2)]), "description": "身穿深色外套, 走失时神志不清",
                    "last_seen_on": local_date(at), "last_seen_place": format!("{}菜市场", STREETS[rng.below(6)]),
                    "reporter": demo_name(&mut rng), "reporter_phone": demo_phone(&mut rng)}),
                    at,
                );
                let s_at = at + (rng.f64() * 0.5 * hour as f64) as i64;
                if s_at < now {
                    let _ = MISSING_PERSONS.act(
                        &mut e,
                        "search",
                        Some("调取监控, 网格员、志愿者分片寻找"),
                        None,
                        None,
                        "demo",
                        s_at,
                    );
                    let f_at = s_at + (rng.normal().abs() * 10.0 * hour as f64) as i64;
                    if f_at < now {
                        let _ = MISSING_PERSONS.act(
                            &mut e,
                            "found",
                            Some("已找到, 交家属带回"),
                            None,
                            None,
                            "demo",
                            f_at,
                        );
                    }
                }
                entries.push(e);
            }
            for _ in 0..poisson(&mut rng, 0.8) {
                let at = day0 + (rng.f64() * day as f64) as i64;
                let (cat, desc) = [
                    ("elderly", "独居老人求助, 行动不便"),
                    ("locked_out", "钥匙反锁屋内"),
                    ("utilities", "楼道停电, 求助联系物业"),
                    ("noise", "楼上装修噪音扰民"),
                    ("lost_child", "儿童与家长走散"),
                    ("traffic", "车辆堵住出口"),
                ][rng.below(6)];
                let mut e = make(
                    &LIVELIHOOD,
                    pick(&mut rng),
                    json!({"category": cat, "description": desc,
                    "requester": demo_name(&mut rng), "phone": demo_phone(&mut rng), "address": address(&mut rng)}),
                    at,
                );
                let s_at = at + (rng.f64() * hour as f64) as i64;
                if s_at < now {
                    let _ = LIVELIHOOD.act(&mut e, "start", None, None, None, "demo", s_at);
                    let c_at = s_at + (rng.normal().abs() * 12.0 * hour as f64) as i64;
                    if c_at < now {
                        let _ = LIVELIHOOD.act(
                            &mut e,
                            "close",
                            Some("已处理, 群众满意"),
                            None,
                            None,
                            "demo",
                            c_at,
                        );
                    }
                }
                entries.push(e);
            }
        }
    }
    let mut counts = LedgerCounts::new();
    let records: Vec<store::CommunityRecord> = entries
        .iter()
        .map(|e| {
            *counts
                .entry(ledger(&e.kind).expect("known").register.kind)
                .or_default() += 1;
            past_record(
                &e.kind,
                &e.id,
                &e.community_id,
                e.created_at,
                e.updated_at,
                e,
            )
        })
        .collect();
    app.store
        .put_records(&records, "demo-history")
        .await
        .map_err(crate::error::ApiError::store)?;
    Ok(counts)
}
