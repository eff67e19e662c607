//! The single writer of live dispatch state. Every command is checked
//! against the current state and, when accepted, returns the records it
//! changed and the events it produced ([`Changes`]) for the store.

use std::collections::HashMap;
use std::sync::Arc;

use roads::{Snap, haversine_m};
use serde::{Deserialize, Serialize};

use crate::DispatchError;
use crate::config::Config;
use crate::jurisdiction::Jurisdictions;
use crate::model::*;
use crate::recommend::{Recommendation, recommend};
use crate::time::Millis;
use crate::travel::TravelTimes;

/// What a command changed: records to upsert and events to append, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Incidents in their new state.
    pub incidents: Vec<Incident>,
    /// Units in their new state.
    pub units: Vec<Unit>,
    /// New events.
    pub events: Vec<Event>,
    /// Idempotency keys to remember: (key, incident, stored response).
    pub idempotency: Vec<(String, IncidentId, String)>,
    /// Position fixes for the units' tracks (a fix already kept is not
    /// kept twice: a retried batch changes nothing).
    pub fixes: Vec<Fix>,
}

impl Changes {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty()
            && self.units.is_empty()
            && self.events.is_empty()
            && self.idempotency.is_empty()
            && self.fixes.is_empty()
    }
    fn incident(&mut self, i: &Incident) {
        self.incidents.retain(|x| x.id != i.id);
        self.incidents.push(i.clone());
    }
    fn unit(&mut self, u: &Unit) {
        self.units.retain(|x| x.id != u.id);
        self.units.push(u.clone());
    }
}

/// A new call as taken by the call taker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewIncident {
    /// Kind code from the catalogue.
    pub kind: String,
    /// 1..=4; the kind's default when absent.
    #[serde(default)]
    pub priority: Option<u8>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Address text.
    #[serde(default)]
    pub address: Option<String>,
    /// Caller.
    #[serde(default)]
    pub caller_name: Option<String>,
    /// Caller.
    #[serde(default)]
    pub caller_phone: Option<String>,
    /// Call taker's description.
    #[serde(default)]
    pub description: Option<String>,
    /// How the place was found.
    #[serde(default)]
    pub location: Option<crate::model::Location>,
    /// The caller's key for this call: a retry with it (the same call, after
    /// a lost answer, a restart or a failover) gets the incident made the
    /// first time instead of a second one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// A message between the command centre and units ([`Engine::message`]).
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The units it goes to (or, from a terminal, the one unit it comes from).
    pub unit_ids: &'a [UnitId],
    /// Written on a unit's terminal, to the command centre.
    pub from_unit: bool,
    /// What it says.
    pub text: &'a str,
    /// The incident it is about.
    pub incident_id: Option<IncidentId>,
    /// The writer's idempotency key: a retry sends nothing new.
    pub key: Option<&'a str>,
}

/// The result of a dispatch command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchOutcome {
    /// The incident.
    pub incident_id: IncidentId,
    /// Units sent by this command.
    pub unit_ids: Vec<UnitId>,
    /// True when this is the stored answer to a retried request.
    pub replayed: bool,
}

/// Possible duplicates listed per call, nearest first.
pub const MAX_DUPLICATE_HINTS: usize = 5;

const CELL_DEG: f64 = 0.005; // ~550 m: the duplicate search looks at the cells within its radius

#[derive(Debug, Clone, Copy)]
struct OpenRef {
    id: IncidentId,
    lat: f64,
    lon: f64,
    created_at: Millis,
}

fn cell(lat: f64, lon: f64) -> (i32, i32) {
    (
        (lat / CELL_DEG).floor() as i32,
        (lon / CELL_DEG).floor() as i32,
    )
}

/// Live dispatch state.
pub struct Engine {
    config: Config,
    jurisdictions: Arc<Jurisdictions>,
    travel: Box<dyn TravelTimes>,
    incidents: HashMap<IncidentId, Incident>,
    /// Open incidents by grid cell, with what the duplicate check needs inline.
    open_cells: HashMap<(i32, i32), Vec<OpenRef>>,
    units: Vec<Unit>,
    unit_at: HashMap<UnitId, usize>,
    unit_snaps: Vec<Option<Snap>>,
    fleet_version: u64,
    posts: Vec<Post>,
    idempotency: HashMap<String, (IncidentId, String)>,
    next_incident: IncidentId,
    next_seq: i64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("incidents", &self.incidents.len())
            .field("units", &self.units.len())
            .finish()
    }
}

/// Saved state to start an engine from.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// All incidents.
    pub incidents: Vec<Incident>,
    /// All units.
    pub units: Vec<Unit>,
    /// Posts.
    pub posts: Vec<Post>,
    /// Remembered idempotency keys.
    pub idempotency: Vec<(String, IncidentId, String)>,
    /// Highest event sequence number stored.
    pub max_seq: i64,
}

/// The longest message to or from a unit, characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// The most fixes one position report may carry.
pub const MAX_FIXES: usize = 1000;

/// One fix as a device reports it (see [`Engine::report_fixes`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FixReport {
    /// The device's time; default: when the server receives it.
    pub at: Option<Millis>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Horizontal accuracy, metres.
    pub accuracy_m: Option<f64>,
    /// Ground speed, metres per second.
    pub speed_mps: Option<f64>,
    /// Course over ground, degrees.
    pub heading_deg: Option<f64>,
}

/// How far ahead of the server's clock a device's time may be (clocks drift).
pub const DEVICE_AHEAD_MS: Millis = 120_000;

impl Engine {
    /// Starts from a saved state.
    pub fn new(
        config: Config,
        jurisdictions: Arc<Jurisdictions>,
        travel: Box<dyn TravelTimes>,
        snapshot: Snapshot,
    ) -> Self {
        let mut e = Engine {
            config,
            jurisdictions,
            travel,
            incidents: HashMap::new(),
            open_cells: HashMap::new(),
            units: Vec::new(),
            unit_at: HashMap::new(),
            unit_snaps: Vec::new(),
            fleet_version: 0,
            posts: snapshot.posts,
            idempotency: snapshot
                .idempotency
                .into_iter()
                .map(|(k, i, r)| (k, (i, r)))
                .collect(),
            next_incident: 1,
            next_seq: snapshot.max_seq + 1,
        };
        for i in snapshot.incidents {
            e.next_incident = e.next_incident.max(i.id + 1);
            e.put_incident(i);
        }
        for u in snapshot.units {
            e.put_unit(u);
        }
        e
    }

    /// Configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// The jurisdiction tree.
    pub fn jurisdictions(&self) -> &Arc<Jurisdictions> {
        &self.jurisdictions
    }
    /// Travel times.
    pub fn travel(&mut self) -> &mut dyn TravelTimes {
        self.travel.as_mut()
    }
    /// One incident.
    pub fn incident(&self, id: IncidentId) -> Option<&Incident> {
        self.incidents.get(&id)
    }
    /// Every incident, in no order.
    pub fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values()
    }
    /// Every unit.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }
    /// One unit.
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.unit_at.get(id).map(|&i| &self.units[i])
    }
    /// Posts.
    pub fn posts(&self) -> &[Post] {
        &self.posts
    }
    /// Replaces the posts.
    pub fn set_posts(&mut self, posts: Vec<Post>) {
        self.posts = posts;
    }

    fn put_incident(&mut self, i: Incident) {
        let c = cell(i.lat, i.lon);
        let refs = self.open_cells.entry(c).or_default();
        if let Some(at) = refs.iter().position(|r| r.id == i.id) {
            refs.swap_remove(at);
        }
        if i.status.is_open() {
            refs.push(OpenRef {
                id: i.id,
                lat: i.lat,
                lon: i.lon,
                created_at: i.created_at,
            });
        }
        self.incidents.insert(i.id, i);
    }

    fn put_unit(&mut self, u: Unit) {
        match self.unit_at.get(&u.id) {
            Some(&at) => {
                // Only a move changes the fleet the router prepared.
                if self.units[at].position() != u.position() {
                    self.unit_snaps[at] = self
                        .travel
                        .locate(u.position(), self.config.max_snap_m)
                        .ok();
                    self.fleet_version += 1;
                }
                self.units[at] = u;
            }
            None => {
                self.unit_snaps.push(
                    self.travel
                        .locate(u.position(), self.config.max_snap_m)
                        .ok(),
                );
                self.fleet_version += 1;
                self.unit_at.insert(u.id.clone(), self.units.len());
                self.units.push(u);
            }
        }
    }

    fn event(
        &mut self,
        now: Millis,
        actor: &str,
        incident: Option<IncidentId>,
        unit: Option<&str>,
        kind: EventKind,
        note: Option<String>,
    ) -> Event {
        let e = Event {
            seq: self.next_seq,
            at: now,
            actor: actor.into(),
            incident_id: incident,
            unit_id: unit.map(str::to_string),
            kind,
            note,
            received_at: None,
        };
        self.next_seq += 1;
        e
    }

    fn get_incident(&self, id: IncidentId) -> Result<Incident, DispatchError> {
        self.incidents
            .get(&id)
            .cloned()
            .ok_or(DispatchError::NotFound {
                what: "incident",
                id: id.to_string(),
            })
    }

    fn get_unit(&self, id: &str, field: &str) -> Result<Unit, DispatchError> {
        self.unit(id)
            .cloned()
            .ok_or_else(|| DispatchError::invalid(field, format!("unknown unit {id}")))
    }

    /// Checks a coordinate pair: on earth, inside a station's area, near a road.
    pub fn locate(&self, lat: f64, lon: f64) -> Result<(Place, Snap), DispatchError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(DispatchError::invalid(
                "lat",
                format!("latitude must be a number in -90..90, got {lat}"),
            ));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(DispatchError::invalid(
                "lon",
                format!("longitude must be a number in -180..180, got {lon}"),
            ));
        }
        let p = LatLon { lat, lon };
        let place = self.jurisdictions.resolve(p).ok_or_else(|| {
            DispatchError::invalid(
                "lat",
                format!("{lat},{lon} lies outside every police station's jurisdiction"),
            )
        })?;
        let snap = self.travel.locate(p, self.config.max_snap_m).map_err(|e| {
            DispatchError::invalid("lat", format!("{lat},{lon} is off the road network: {e}"))
        })?;
        Ok((place, snap))
    }

    /// Open incidents of a compatible kind near `p` within the duplicate rule.
    pub fn possible_duplicates(
        &self,
        now: Millis,
        kind: &str,
        lat: f64,
        lon: f64,
    ) -> Vec<DuplicateHint> {
        let rule = &self.config.duplicate;
        let (ci, cj) = cell(lat, lon);
        let p = LatLon { lat, lon };
        let reach_lat = (rule.meters / 111_000.0 / CELL_DEG).ceil() as i32;
        let reach_lon =
            (rule.meters / (111_000.0 * lat.to_radians().cos().max(0.05)) / CELL_DEG).ceil() as i32;
        let oldest = now - (rule.minutes * 60_000.0) as i64;
        // Cheap planar distances first (exact enough within a few hundred metres),
        // then the nearest compatible ones, so a crowded area costs little.
        let m_per_deg = 111_194.93;
        let kx = m_per_deg * lat.to_radians().cos();
        let max2 = rule.meters * rule.meters * 1.01;
        let mut near: Vec<(f64, IncidentId)> = Vec::new();
        for di in -reach_lat..=reach_lat {
            for dj in -reach_lon..=reach_lon {
                for r in self
                    .open_cells
                    .get(&(ci + di, cj + dj))
                    .into_iter()
                    .flatten()
                {
                    let (dx, dy) = ((r.lon - lon) * kx, (r.lat - lat) * m_per_deg);
                    let d2 = dx * dx + dy * dy;
                    if r.created_at >= oldest && d2 <= max2 {
                        near.push((d2, r.id));
                    }
                }
            }
        }
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut out = Vec::new();
        for (_, id) in near {
            let i = &self.incidents[&id];
            let meters = haversine_m(p, i.position());
            if meters <= rule.meters && i.status.is_open() && self.config.compatible(&i.kind, kind)
            {
                let minutes = (now - i.created_at) as f64 / 60_000.0;
                out.push(DuplicateHint {
                    incident_id: i.id,
                    meters: meters.round(),
                    minutes: (minutes * 10.0).round() / 10.0,
                });
                // The nearest few are what a call taker can act on.
                if out.len() == MAX_DUPLICATE_HINTS {
                    break;
                }
            }
        }
        out
    }

    /// Validates a new call without creating it.
    pub fn validate_new(&self, new: &NewIncident) -> Result<(u8, Place), DispatchError> {
        let kind = self.config.kind(&new.kind).ok_or_else(|| {
            let known: Vec<&str> = self.config.kinds.iter().map(|k| k.code.as_str()).collect();
            DispatchError::invalid(
                "kind",
                format!(
                    "unknown kind {:?}; expected one of {}",
                    new.kind,
                    known.join(", ")
                ),
            )
        })?;
        let priority = new.priority.unwrap_or(kind.default_priority);
        if !(1..=4).contains(&priority) {
            return Err(DispatchError::invalid(
                "priority",
                format!("priority must be 1 (most urgent) to 4, got {priority}"),
            ));
        }
        for (field, v, max) in [
            ("address", &new.address, 500),
            ("caller_name", &new.caller_name, 200),
            ("caller_phone", &new.caller_phone, 40),
            ("description", &new.description, 4000),
        ] {
            if v.as_ref().is_some_and(|s| s.chars().count() > max) {
                return Err(DispatchError::invalid(
                    field,
                    format!("at most {max} characters"),
                ));
            }
        }
        let (place, _) = self.locate(new.lat, new.lon)?;
        Ok((priority, place))
    }

    /// A 110 call becomes an incident.
    pub fn create_incident(
        &mut self,
        now: Millis,
        actor: &str,
        mut new: NewIncident,
    ) -> Result<(Incident, Changes), DispatchError> {
        let key = new.idempotency_key.take();
        // What the key stands for: the call itself, without the key.
        let request = serde_json::to_string(&new).expect("a call serialises");
        if let Some((_, made)) = self.retried("incident", key.as_deref(), &request)? {
            let id: IncidentId = made.parse().map_err(|_| {
                DispatchError::conflict(None, format!("stored incident id unreadable: {made:?}"))
            })?;
            return Ok((self.get_incident(id)?, Changes::default()));
        }
        let (priority, place) = self.validate_new(&new)?;
        let duplicates = self.possible_duplicates(now, &new.kind, new.lat, new.lon);
        let id = self.next_incident;
        self.next_incident += 1;
        let incident = Incident {
            id,
            kind: new.kind.clone(),
            priority,
            status: IncidentStatus::Received,
            lat: new.lat,
            lon: new.lon,
            address: new.address,
            callers: vec![Caller {
                name: new.caller_name,
                phone: new.caller_phone,
                at: now,
            }],
            place,
            created_at: now,
            reached: vec![],
            assignments: vec![],
            merged_into: None,
            merged_from: vec![],
            possible_duplicates: duplicates.clone(),
            overdue: vec![],
            description: new.description,
            location: new.location,
            reinforcement_waiting: vec![],
        };
        let mut ch = Changes::default();
        let ev = self.event(
            now,
            actor,
            Some(id),
            None,
            EventKind::IncidentCreated {
                kind: new.kind,
                priority,
                lat: new.lat,
                lon: new.lon,
            },
            None,
        );
        ch.events.push(ev);
        if !duplicates.is_empty() {
            let ev = self.event(
                now,
                actor,
                Some(id),
                None,
                EventKind::DuplicateFlagged {
                    of: duplicates.iter().map(|d| d.incident_id).collect(),
                },
                None,
            );
            ch.events.push(ev);
        }
        ch.incident(&incident);
        self.remember(
            "incident",
            key.as_deref(),
            id,
            &request,
            id.to_string(),
            &mut ch,
        );
        self.put_incident(incident.clone());
        Ok((incident, ch))
    }

    /// Ranks available units for an incident, excluding `exclude`.
    pub fn recommend(
        &mut self,
        id: IncidentId,
        exclude: &[UnitId],
    ) -> Result<Recommendation, DispatchError> {
        let incident = self.incidents.get(&id).ok_or(DispatchError::NotFound {
            what: "incident",
            id: id.to_string(),
        })?;
        let target = self
            .travel
            .locate(incident.position(), self.config.max_snap_m)
            .map_err(|e| {
                DispatchError::conflict(None, format!("incident {id} is off the road network: {e}"))
            })?;
        // Keep the whole fleet as sources (one prepared fleet for all incidents); filter afterwards.
        let seconds = self
            .travel
            .seconds_to(&self.unit_snaps, self.fleet_version, &target);
        let target_point = incident.position();
        let candidates: Vec<(&Unit, Option<f64>)> = self
            .units
            .iter()
            .zip(seconds)
            .filter(|(u, _)| u.status == UnitStatus::Available && !exclude.contains(&u.id))
            .map(|(u, s)| {
                (
                    u,
                    s.map(|s| travel_seconds(u.kind, s, haversine_m(u.position(), target_point))),
                )
            })
            .collect();
        Ok(recommend(&self.config, incident, &candidates))
    }

    /// A terminal's retry: the payload remembered for `key` (in the
    /// namespace `scope`) when it was used for this same `request`, `None`
    /// for a new key. A key used for another request is a conflict: a new
    /// answer needs a new key.
    fn retried(
        &self,
        scope: &str,
        key: Option<&str>,
        request: &str,
    ) -> Result<Option<(String, String)>, DispatchError> {
        let Some(key) = key else { return Ok(None) };
        if key.is_empty() || key.chars().count() > 200 {
            return Err(DispatchError::invalid(
                "idempotency_key",
                "1 to 200 characters",
            ));
        }
        let key = format!("{scope}/{key}");
        let Some((_, stored)) = self.idempotency.get(&key) else {
            return Ok(None);
        };
        let (said, payload) = serde_json::from_str::<(String, String)>(stored)
            .map_err(|e| DispatchError::conflict(None, format!("stored answer unreadable: {e}")))?;
        if said != request {
            return Err(DispatchError::conflict(
                Some("idempotency_key"),
                "this idempotency_key was already used for another request; a new one needs a new key",
            ));
        }
        Ok(Some((key, payload)))
    }

    /// Remembers that `key` (in `scope`) did `request`, with `payload` to
    /// answer its retries.
    fn remember(
        &mut self,
        scope: &str,
        key: Option<&str>,
        incident: IncidentId,
        request: &str,
        payload: String,
        ch: &mut Changes,
    ) {
        let Some(key) = key else { return };
        let key = format!("{scope}/{key}");
        let stored = serde_json::to_string(&(request, payload)).expect("strings serialise");
        self.idempotency
            .insert(key.clone(), (incident, stored.clone()));
        ch.idempotency.push((key, incident, stored));
    }

    /// The idempotent answer stored for `key`, if any.
    pub fn replay(&self, key: &str) -> Option<(IncidentId, &str)> {
        self.idempotency.get(key).map(|(i, r)| (*i, r.as_str()))
    }

    /// Sends units. A key seen before returns the stored outcome and changes nothing.
    pub fn dispatch(
        &mut self,
        now: Millis,
        actor: &str,
        id: IncidentId,
        unit_ids: &[UnitId],
        key: &str,
    ) -> Result<(DispatchOutcome, Changes), DispatchError> {
        if key.is_empty() || key.len() > 200 {
            return Err(DispatchError::invalid(
                "idempotency_key",
                "a non-empty key of at most 200 characters is required",
            ));
        }
        if let Some((incident, stored)) = self.idempotency.get(key) {
            if *incident != id {
                return Err(DispatchError::conflict(
                    Some("idempotency_key"),
                    format!("key {key:?} was already used for incident {incident}"),
                ));
            }
            let mut out: DispatchOutcome = serde_json::from_str(stored).map_err(|e| {
                DispatchError::conflict(None, format!("stored outcome unreadable: {e}"))
            })?;
            out.replayed = true;
            return Ok((out, Changes::default()));
        }
        let mut incident = self.get_incident(id)?;
        if unit_ids.is_empty() {
            return Err(DispatchError::invalid("unit_ids", "name at least one unit"));
        }
        if !matches!(
            incident.status,
            IncidentStatus::Received
                | IncidentStatus::Dispatched
                | IncidentStatus::EnRoute
                | IncidentStatus::OnScene
        ) {
            return Err(DispatchError::conflict(
                Some("status"),
                format!(
                    "incident {id} is {}; units can only be sent to received, dispatched, en_route or on_scene incidents",
                    incident.status.as_str()
                ),
            ));
        }
        let mut units = Vec::new();
        for (n, uid) in unit_ids.iter().enumerate() {
            let field = format!("unit_ids[{n}]");
            let u = self.get_unit(uid, &field)?;
            if unit_ids[..n].contains(uid) {
                return Err(DispatchError::invalid(
                    field,
                    format!("unit {uid} named twice"),
                ));
            }
            if !matches!(u.status, UnitStatus::Available | UnitStatus::Returning) {
                let at = u
                    .incident_id
                    .map(|i| format!(" at incident {i}"))
                    .unwrap_or_default();
                return Err(DispatchError::conflict(
                    Some(&field),
                    format!(
                        "unit {uid} is {}{at}; release or reassign it first",
                        u.status.as_str()
                    ),
                ));
            }
            units.push(u);
        }
        // Drive times at dispatch, for the record: the prepared fleet, as the recommendation saw it.
        let fleet_seconds = self
            .travel
            .locate(incident.position(), self.config.max_snap_m)
            .ok()
            .map(|t| {
                self.travel
                    .seconds_to(&self.unit_snaps, self.fleet_version, &t)
            });
        let mut ch = Changes::default();
        let mut sent = Vec::new();
        for mut u in units {
            let eta = fleet_seconds.as_ref().and_then(|all| {
                let drive = all[self.unit_at[&u.id]]?;
                Some(travel_seconds(
                    u.kind,
                    drive,
                    haversine_m(u.position(), incident.position()),
                ))
            });
            let from = u.status;
            u.status = UnitStatus::Dispatched;
            u.incident_id = Some(id);
            let ev = self.event(
                now,
                actor,
                Some(id),
                Some(&u.id),
                EventKind::UnitDispatched {
                    eta_s: eta.map(|s| s.round()),
                },
                None,
            );
            // The event is the unit's order: its seq is the order's.
            incident.assignments.push(Assignment {
                unit_id: u.id.clone(),
                at: now,
                eta_s: eta.map(|s| s.round()),
                released_at: None,
                order_seq: Some(ev.seq),
                delivered_at: None,
                acked_at: None,
                ack_overdue: false,
            });
            ch.events.push(ev);
            let ev = self.event(
                now,
                actor,
                Some(id),
                Some(&u.id),
                EventKind::UnitStatusChanged {
                    from,
                    to: UnitStatus::Dispatched,
                },
                None,
            );
            ch.events.push(ev);
            sent.push(u.id.clone());
            ch.unit(&u);
            self.put_unit(u);
        }
        if incident.status == IncidentStatus::Received {
            self.move_status(
                now,
                actor,
                &mut incident,
                IncidentStatus::Dispatched,
                None,
                &mut ch,
            );
        }
        // The units sent answer every request waiting (of units still here).
        for wait in std::mem::take(&mut incident.reinforcement_waiting) {
            if !incident.active_units().any(|a| a.unit_id == wait.unit_id) {
                continue;
            }
            let ev = self.event(
                now,
                actor,
                Some(id),
                Some(&wait.unit_id),
                EventKind::ReinforcementAnswered {
                    request_seq: wait.request_seq,
                    units: sent.clone(),
                },
                None,
            );
            ch.events.push(ev);
        }
        ch.incident(&incident);
        self.put_incident(incident);
        let outcome = DispatchOutcome {
            incident_id: id,
            unit_ids: sent,
            replayed: false,
        };
        let stored = serde_json::to_string(&outcome).expect("outcome serialises");
        self.idempotency
            .insert(key.to_string(), (id, stored.clone()));
        ch.idempotency.push((key.to_string(), id, stored));
        Ok((outcome, ch))
    }

    fn move_status(
        &mut self,
        now: Millis,
        actor: &str,
        incident: &mut Incident,
        to: IncidentStatus,
        note: Option<String>,
        ch: &mut Changes,
    ) {
        let from = incident.status;
        incident.status = to;
        if incident.reached_at(to).is_none() {
            incident.reached.push((to, now));
        }
        let ev = self.event(
            now,
            actor,
            Some(incident.id),
            None,
            EventKind::StatusChanged { from, to },
            note,
        );
        ch.events.push(ev);
    }

    fn set_unit_status(
        &mut self,
        now: Millis,
        actor: &str,
        unit: &mut Unit,
        to: UnitStatus,
        ch: &mut Changes,
    ) {
        if unit.status == to {
            return;
        }
        let ev = self.event(
            now,
            actor,
            unit.incident_id,
            Some(&unit.id),
            EventKind::UnitStatusChanged {
                from: unit.status,
                to,
            },
            None,
        );
        ch.events.push(ev);
        unit.status = to;
        unit.status_at = now;
    }

    /// Frees a unit from its incident; `to` is its new status.
    fn release_unit(
        &mut self,
        now: Millis,
        actor: &str,
        incident: &mut Incident,
        unit_id: &str,
        to: UnitStatus,
        ch: &mut Changes,
    ) {
        for a in incident
            .assignments
            .iter_mut()
            .filter(|a| a.unit_id == unit_id && a.released_at.is_none())
        {
            a.released_at = Some(now);
        }
        let ev = self.event(
            now,
            actor,
            Some(incident.id),
            Some(unit_id),
            EventKind::UnitReleased,
            None,
        );
        ch.events.push(ev);
        if let Some(mut u) = self.unit(unit_id).cloned()
            && u.incident_id == Some(incident.id)
        {
            let to = if to == UnitStatus::Returning && u.status == UnitStatus::Dispatched {
                UnitStatus::Available
            } else {
                to
            };
            self.set_unit_status(now, actor, &mut u, to, ch);
            u.incident_id = None;
            ch.unit(&u);
            self.put_unit(u);
        }
    }

    /// Moves an incident along its lifecycle; its units follow.
    pub fn set_status(
        &mut self,
        now: Millis,
        actor: &str,
        id: IncidentId,
        to: IncidentStatus,
        note: Option<String>,
    ) -> Result<(Incident, Changes), DispatchError> {
        let mut incident = self.get_incident(id)?;
        let from = incident.status;
        if to == IncidentStatus::Merged {
            return Err(DispatchError::invalid(
                "status",
                format!(
                    "merging needs a target: POST /api/v1/incidents/{id}/merge with {{\"into\": <incident id>}}"
                ),
            ));
        }
        if !from.next().contains(&to) {
            let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
            return Err(DispatchError::IllegalTransition {
                id,
                from: from.as_str(),
                to: to.as_str(),
                allowed: if allowed.is_empty() {
                    "none (finished)".into()
                } else {
                    allowed.join(", ")
                },
            });
        }
        if to == IncidentStatus::Received && incident.active_units().next().is_some() {
            return Err(DispatchError::conflict(
                Some("status"),
                format!("incident {id} still has units; release them to put it back to received"),
            ));
        }
        let mut ch = Changes::default();
        self.move_status(now, actor, &mut incident, to, note, &mut ch);
        let active: Vec<UnitId> = incident.active_units().map(|a| a.unit_id.clone()).collect();
        match to {
            IncidentStatus::EnRoute | IncidentStatus::OnScene => {
                let us = if to == IncidentStatus::EnRoute {
                    UnitStatus::EnRoute
                } else {
                    UnitStatus::OnScene
                };
                for uid in &active {
                    if let Some(mut u) = self.unit(uid).cloned() {
                        // Units already further along keep their status.
                        if u.status == UnitStatus::Dispatched
                            || (us == UnitStatus::OnScene && u.status == UnitStatus::EnRoute)
                        {
                            self.set_unit_status(now, actor, &mut u, us, &mut ch);
                            ch.unit(&u);
                            self.put_unit(u);
                        }
                    }
                }
            }
            IncidentStatus::Closed | IncidentStatus::Cancelled => {
                for uid in &active {
                    self.release_unit(
                        now,
                        actor,
                        &mut incident,
                        uid,
                        UnitStatus::Returning,
                        &mut ch,
                    );
                }
            }
            _ => {}
        }
        ch.incident(&incident);
        self.put_incident(incident.clone());
        Ok((incident, ch))
    }

    /// Releases one unit from an incident (it returns, or is available if it never left).
    pub fn release(
        &mut self,
        now: Millis,
        actor: &str,
        id: IncidentId,
        unit_id: &str,
    ) -> Result<(Incident, Changes), DispatchError> {
        let mut incident = self.get_incident(id)?;
        if !incident.active_units().any(|a| a.unit_id == unit_id) {
            return Err(DispatchError::invalid(
                "unit_id",
                format!("unit {unit_id} is not assigned to incident {id}"),
            ));
        }
        let mut ch = Changes::default();
        self.release_unit(
            now,
            actor,
            &mut incident,
            unit_id,
            UnitStatus::Returning,
            &mut ch,
        );
        if incident.active_units().next().is_none() && incident.status == IncidentStatus::Dispatched
        {
            self.move_status(
                now,
                actor,
                &mut incident,
                IncidentStatus::Received,
                Some("all units released".into()),
                &mut ch,
            );
        }
        ch.incident(&incident);
        self.put_incident(incident.clone());
        Ok((incident, ch))
    }

    /// A unit's terminal acknowledges order `order_seq` (the caller has
    /// checked that the order is the unit's and not yet acknowledged): the
    /// acknowledgement is an event, and a dispatch order's assignment
    /// records when. `device_at` is the terminal's own time, if it said.
    pub fn acknowledge(
        &mut self,
        now: Millis,
        actor: &str,
        unit_id: &str,
        order_seq: i64,
        incident_id: Option<IncidentId>,
        device_at: Option<Millis>,
    ) -> Result<Changes, DispatchError> {
        if self.unit(unit_id).is_none() {
            return Err(DispatchError::NotFound {
                what: "unit",
                id: unit_id.to_string(),
            });
        }
        let mut ch = Changes::default();
        if let Some(mut incident) = incident_id.and_then(|id| self.incidents.get(&id).cloned()) {
            let mut changed = false;
            for a in incident
                .assignments
                .iter_mut()
                .filter(|a| a.unit_id == unit_id && a.order_seq == Some(order_seq))
            {
                changed |= a.acked_at.is_none();
                a.acked_at.get_or_insert(now);
            }
            if changed {
                ch.incident(&incident);
                self.put_incident(incident);
            }
        }
        let ev = self.event(
            now,
            actor,
            incident_id,
            Some(unit_id),
            EventKind::OrderAcknowledged {
                order_seq,
                device_at,
            },
            None,
        );
        ch.events.push(ev);
        Ok(ch)
    }

    /// Records that order `order_seq` reached unit `unit_id`'s terminal;
    /// the incident shows it per unit. Once per order: the caller checks
    /// the store for an earlier delivery.
    pub fn order_delivered(
        &mut self,
        now: Millis,
        actor: &str,
        unit_id: &str,
        order_seq: i64,
        incident_id: Option<IncidentId>,
    ) -> Result<Changes, DispatchError> {
        self.get_unit(unit_id, "unit_id")?;
        let mut ch = Changes::default();
        if let Some(mut incident) = incident_id.and_then(|id| self.incidents.get(&id).cloned()) {
            let mut changed = false;
            for a in incident
                .assignments
                .iter_mut()
                .filter(|a| a.unit_id == unit_id && a.order_seq == Some(order_seq))
            {
                changed |= a.delivered_at.is_none();
                a.delivered_at.get_or_insert(now);
            }
            if changed {
                ch.incident(&incident);
                self.put_incident(incident);
            }
        }
        let ev = self.event(
            now,
            actor,
            incident_id,
            Some(unit_id),
            EventKind::OrderDelivered { order_seq },
            None,
        );
        ch.events.push(ev);
        Ok(ch)
    }

    /// The dispatcher sends order `order_seq` to unit `unit_id`'s terminal
    /// again (its feed carries the order anew).
    pub fn resend(
        &mut self,
        now: Millis,
        actor: &str,
        unit_id: &str,
        order_seq: i64,
        incident_id: Option<IncidentId>,
    ) -> Result<Changes, DispatchError> {
        self.get_unit(unit_id, "unit_id")?;
        let ev = self.event(
            now,
            actor,
            incident_id,
            Some(unit_id),
            EventKind::OrderResent { order_seq },
            None,
        );
        Ok(Changes {
            events: vec![ev],
            ..Default::default()
        })
    }

    /// The crew on board unit `unit_id`, as logged on to its terminal: its
    /// crew count follows the list.
    pub fn set_crew(
        &mut self,
        now: Millis,
        actor: &str,
        unit_id: &str,
        names: &[String],
        key: Option<&str>,
    ) -> Result<(Unit, Changes), DispatchError> {
        let mut u = self.get_unit(unit_id, "unit_id")?;
        let names: Vec<String> = names.iter().map(|n| n.trim().to_string()).collect();
        let scope = format!("crew/{unit_id}");
        let request = names.join("\n");
        if self.retried(&scope, key, &request)?.is_some() {
            return Ok((u, Changes::default()));
        }
        if names.is_empty() || names.len() > 12 {
            return Err(DispatchError::invalid(
                "names",
                format!("a crew is 1 to 12 officers, got {}", names.len()),
            ));
        }
        if let Some((i, _)) = names
            .iter()
            .enumerate()
            .find(|(_, n)| n.is_empty() || n.chars().count() > 40)
        {
            return Err(DispatchError::invalid(
                format!("names[{i}]"),
                "a name (or badge number) is 1 to 40 characters",
            ));
        }
        u.crew = names.len() as u32;
        u.crew_names = names.clone();
        let mut ch = Changes::default();
        ch.unit(&u);
        self.put_unit(u.clone());
        let ev = self.event(
            now,
            actor,
            None,
            Some(unit_id),
            EventKind::CrewChanged { names },
            None,
        );
        ch.events.push(ev);
        self.remember(&scope, key, 0, &request, String::new(), &mut ch);
        Ok((u, ch))
    }

    /// Records on incident `incident_id`'s timeline that `report_id` was
    /// filed (by unit `unit_id`'s terminal, if it was one).
    pub fn report_filed(
        &mut self,
        now: Millis,
        actor: &str,
        incident_id: IncidentId,
        unit_id: Option<&str>,
        report_id: &str,
    ) -> Result<Changes, DispatchError> {
        self.get_incident(incident_id)?;
        let ev = self.event(
            now,
            actor,
            Some(incident_id),
            unit_id,
            EventKind::ReportFiled {
                report_id: report_id.into(),
            },
            None,
        );
        Ok(Changes {
            events: vec![ev],
            ..Default::default()
        })
    }

    /// A message from the command centre to each of `unit_ids` (one order
    /// each, so every terminal acknowledges its own), or from a unit's
    /// terminal to the centre (`from_unit`), about `incident_id` if given.
    pub fn message(
        &mut self,
        now: Millis,
        actor: &str,
        m: Message<'_>,
    ) -> Result<(Vec<Event>, Changes), DispatchError> {
        let Message {
            unit_ids,
            from_unit,
            text,
            incident_id,
            key,
        } = m;
        let scope = format!("message/{actor}");
        let request = serde_json::to_string(&(unit_ids, from_unit, text, incident_id))
            .expect("strings serialise");
        if let Some((_, sent)) = self.retried(&scope, key, &request)? {
            let sent: Vec<Event> = serde_json::from_str(&sent).map_err(|e| {
                DispatchError::conflict(None, format!("stored messages unreadable: {e}"))
            })?;
            return Ok((sent, Changes::default()));
        }
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(DispatchError::invalid(
                "text",
                format!("a message is 1 to {MAX_MESSAGE_CHARS} characters"),
            ));
        }
        if unit_ids.is_empty() {
            return Err(DispatchError::invalid(
                "to",
                "no unit to send the message to",
            ));
        }
        if let Some(id) = incident_id {
            self.get_incident(id)?;
        }
        let mut ch = Changes::default();
        for unit_id in unit_ids {
            self.get_unit(unit_id, "unit_id")?;
            let kind = if from_unit {
                EventKind::MessageFromUnit { text: text.into() }
            } else {
                EventKind::MessageToUnit { text: text.into() }
            };
            let ev = self.event(now, actor, incident_id, Some(unit_id), kind, None);
            ch.events.push(ev);
        }
        let sent = ch.events.clone();
        let payload = serde_json::to_string(&sent).expect("events serialise");
        self.remember(
            &scope,
            key,
            incident_id.unwrap_or(0),
            &request,
            payload,
            &mut ch,
        );
        Ok((sent, ch))
    }

    /// Moves a committed unit to another incident.
    pub fn reassign(
        &mut self,
        now: Millis,
        actor: &str,
        unit_id: &str,
        to: IncidentId,
        key: &str,
    ) -> Result<(DispatchOutcome, Changes), DispatchError> {
        if self.idempotency.contains_key(key) {
            return self.dispatch(now, actor, to, &[unit_id.to_string()], key);
        }
        let u = self.get_unit(unit_id, "unit_id")?;
        self.get_incident(to)?;
        let mut ch = Changes::default();
        if let Some(from) = u.incident_id.filter(|f| *f != to) {
            let (_, c) = self.release(now, actor, from, unit_id)?;
            merge_changes(&mut ch, c);
        }
        let (out, c) = self.dispatch(now, actor, to, &[unit_id.to_string()], key)?;
        merge_changes(&mut ch, c);
        Ok((out, ch))
    }

    /// A unit reports its own status (from the field); the incident follows.
    pub fn unit_status(
        &mut self,
        now: Millis,
        actor: &str,
        unit_id: &str,
        to: UnitStatus,
    ) -> Result<(Unit, Changes), DispatchError> {
        let mut u = self.get_unit(unit_id, "unit_id")?;
        let mut ch = Changes::default();
        match (u.incident_id, to) {
            (None, UnitStatus::Dispatched | UnitStatus::EnRoute | UnitStatus::OnScene) => {
                return Err(DispatchError::conflict(
                    Some("status"),
                    format!("unit {unit_id} has no incident; dispatch it first"),
                ));
            }
            (Some(iid), UnitStatus::Available | UnitStatus::Returning | UnitStatus::OffDuty) => {
                let mut incident = self.get_incident(iid)?;
                self.release_unit(now, actor, &mut incident, unit_id, to, &mut ch);
                if incident.active_units().next().is_none()
                    && incident.status == IncidentStatus::Dispatched
                {
                    self.move_status(
                        now,
                        actor,
                        &mut incident,
                        IncidentStatus::Received,
                        Some("all units released".into()),
                        &mut ch,
                    );
                }
                ch.incident(&incident);
                self.put_incident(incident);
                let u = self.unit(unit_id).cloned().expect("unit exists");
                return Ok((u, ch));
            }
            (Some(iid), UnitStatus::EnRoute | UnitStatus::OnScene) => {
                let mut incident = self.get_incident(iid)?;
                let want = if to == UnitStatus::EnRoute {
                    IncidentStatus::EnRoute
                } else {
                    IncidentStatus::OnScene
                };
                if incident.status < want && incident.status.next().contains(&want) {
                    self.move_status(
                        now,
                        actor,
                        &mut incident,
                        want,
                        Some(format!("unit {unit_id} reports {}", to.as_str())),
                        &mut ch,
                    );
                    ch.incident(&incident);
                    self.put_incident(incident);
                }
            }
            _ => {}
        }
        self.set_unit_status(now, actor, &mut u, to, &mut ch);
        ch.unit(&u);
        self.put_unit(u.clone());
        Ok((u, ch))
    }

    /// A status a unit's terminal reports: at the device's own time
    /// `device_at` (so the timeline and the 1-3-5-minute figures are true
    /// after an outage), once per idempotency `key` (a retry answers the
    /// unit as it is and changes nothing). A device time more than
    /// [`DEVICE_AHEAD_MS`] ahead of the server, or older than the unit's
    /// last accepted change, is refused: answers come in the order made.
    pub fn report_status(
        &mut self,
        now: Millis,
        device_at: Option<Millis>,
        actor: &str,
        unit_id: &str,
        to: UnitStatus,
        key: Option<&str>,
    ) -> Result<(Unit, Changes), DispatchError> {
        let u = self.get_unit(unit_id, "unit_id")?;
        let key = key.map(|k| format!("unit-status/{unit_id}/{k}"));
        if let Some(k) = &key
            && let Some((_, said)) = self.idempotency.get(k)
        {
            if said == to.as_str() {
                return Ok((u, Changes::default()));
            }
            return Err(DispatchError::conflict(
                Some("idempotency_key"),
                format!(
                    "this idempotency_key already reported {said}; a new answer needs a new key"
                ),
            ));
        }
        let at = device_at.unwrap_or(now);
        if at > now + DEVICE_AHEAD_MS {
            return Err(DispatchError::invalid(
                "at",
                format!(
                    "{} is {} s ahead of the server's clock (at most {} s allowed): check the device's time",
                    crate::time::format_rfc3339(at),
                    (at - now) / 1000,
                    DEVICE_AHEAD_MS / 1000
                ),
            ));
        }
        if at < u.status_at {
            return Err(DispatchError::invalid(
                "at",
                format!(
                    "{} is older than the unit's last accepted change ({}): send answers in the order they were made",
                    crate::time::format_rfc3339(at),
                    crate::time::format_rfc3339(u.status_at)
                ),
            ));
        }
        let (u, mut ch) = self.unit_status(at, actor, unit_id, to)?;
        if device_at.is_some() {
            for e in &mut ch.events {
                e.received_at = Some(now);
            }
        }
        if let Some(k) = key {
            let incident = u.incident_id.unwrap_or(0);
            self.idempotency
                .insert(k.clone(), (incident, to.as_str().to_string()));
            ch.idempotency.push((k, incident, to.as_str().to_string()));
        }
        Ok((u, ch))
    }

    /// A new reported position (soft state: no event, persisted lazily).
    pub fn unit_position(
        &mut self,
        now: Millis,
        unit_id: &str,
        lat: f64,
        lon: f64,
    ) -> Result<Unit, DispatchError> {
        let mut u = self.unit(unit_id).cloned().ok_or(DispatchError::NotFound {
            what: "unit",
            id: unit_id.into(),
        })?;
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(DispatchError::invalid(
                "lat",
                format!("latitude must be a number in -90..90, got {lat}"),
            ));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(DispatchError::invalid(
                "lon",
                format!("longitude must be a number in -180..180, got {lon}"),
            ));
        }
        u.lat = lat;
        u.lon = lon;
        u.position_at = now;
        self.put_unit(u.clone());
        Ok(u)
    }

    /// Positions from a unit's device, each at the device's time: all go
    /// to its track, and the newest, when newer than what the unit shows,
    /// becomes its position. A time more than [`DEVICE_AHEAD_MS`] ahead of
    /// the server, or a fix off the globe, refuses the whole batch naming
    /// the fix (`fixes[3].lat`), so a terminal keeps it and can be fixed.
    pub fn report_fixes(
        &mut self,
        now: Millis,
        unit_id: &str,
        fixes: &[FixReport],
    ) -> Result<(Unit, Changes), DispatchError> {
        let mut u = self.get_unit(unit_id, "unit_id")?;
        if fixes.is_empty() || fixes.len() > MAX_FIXES {
            return Err(DispatchError::invalid(
                "fixes",
                format!("send 1 to {MAX_FIXES} fixes at a time, got {}", fixes.len()),
            ));
        }
        let mut changes = Changes::default();
        for (i, f) in fixes.iter().enumerate() {
            let field = |name: &str| {
                if fixes.len() == 1 {
                    name.to_string()
                } else {
                    format!("fixes[{i}].{name}")
                }
            };
            if !f.lat.is_finite() || !(-90.0..=90.0).contains(&f.lat) {
                return Err(DispatchError::invalid(
                    field("lat"),
                    format!("latitude must be a number in -90..90, got {}", f.lat),
                ));
            }
            if !f.lon.is_finite() || !(-180.0..=180.0).contains(&f.lon) {
                return Err(DispatchError::invalid(
                    field("lon"),
                    format!("longitude must be a number in -180..180, got {}", f.lon),
                ));
            }
            let at = f.at.unwrap_or(now);
            if at > now + DEVICE_AHEAD_MS {
                return Err(DispatchError::invalid(
                    field("at"),
                    format!(
                        "{} is {} s ahead of the server's clock (at most {} s allowed): check the device's time",
                        crate::time::format_rfc3339(at),
                        (at - now) / 1000,
                        DEVICE_AHEAD_MS / 1000
                    ),
                ));
            }
            for (name, v, range) in [
                ("accuracy", f.accuracy_m, 0.0..=100_000.0),
                ("speed", f.speed_mps, 0.0..=150.0),
                ("heading", f.heading_deg, 0.0..=360.0),
            ] {
                if let Some(v) = v
                    && (!v.is_finite() || !range.contains(&v))
                {
                    return Err(DispatchError::invalid(
                        field(name),
                        format!(
                            "expected a number in {}..{}, got {v}",
                            range.start(),
                            range.end()
                        ),
                    ));
                }
            }
            changes.fixes.push(Fix {
                unit_id: u.id.clone(),
                at,
                received_at: now,
                lat: f.lat,
                lon: f.lon,
                accuracy_m: f.accuracy_m,
                speed_mps: f.speed_mps,
                heading_deg: f.heading_deg,
            });
        }
        let newest = changes
            .fixes
            .iter()
            .max_by_key(|f| f.at)
            .expect("at least one fix");
        if newest.at > u.position_at {
            u.lat = newest.lat;
            u.lon = newest.lon;
            u.position_at = newest.at;
            self.put_unit(u.clone());
        }
        Ok((u, changes))
    }

    /// Adds or replaces a unit (administration).
    pub fn register_unit(
        &mut self,
        now: Millis,
        actor: &str,
        mut unit: Unit,
    ) -> Result<(Unit, Changes), DispatchError> {
        if unit.id.is_empty()
            || unit.id.len() > 64
            || !unit
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(DispatchError::invalid(
                "id",
                "1-64 characters of A-Z, a-z, 0-9, - _ .",
            ));
        }
        if self.jurisdictions.get(&unit.home_station).is_none() {
            return Err(DispatchError::invalid(
                "home_station",
                format!("unknown jurisdiction {}", unit.home_station),
            ));
        }
        if !(-90.0..=90.0).contains(&unit.lat) || !(-180.0..=180.0).contains(&unit.lon) {
            return Err(DispatchError::invalid("lat", "position out of range"));
        }
        if let Some(old) = self.unit(&unit.id) {
            unit.status = old.status;
            unit.incident_id = old.incident_id;
        } else {
            unit.incident_id = None;
        }
        unit.position_at = now;
        let mut ch = Changes::default();
        let ev = self.event(
            now,
            actor,
            None,
            Some(&unit.id),
            EventKind::UnitRegistered,
            None,
        );
        ch.events.push(ev);
        ch.unit(&unit);
        self.put_unit(unit.clone());
        Ok((unit, ch))
    }

    /// Folds incident `id` into `into`: callers and units move, both timelines stay.
    pub fn merge(
        &mut self,
        now: Millis,
        actor: &str,
        id: IncidentId,
        into: IncidentId,
    ) -> Result<(Incident, Changes), DispatchError> {
        if id == into {
            return Err(DispatchError::invalid(
                "into",
                "an incident cannot be merged into itself",
            ));
        }
        let mut src = self.get_incident(id)?;
        let mut dst =
            self.incidents.get(&into).cloned().ok_or_else(|| {
                DispatchError::invalid("into", format!("unknown incident {into}"))
            })?;
        if !src.status.next().contains(&IncidentStatus::Merged) {
            return Err(DispatchError::IllegalTransition {
                id,
                from: src.status.as_str(),
                to: "merged",
                allowed: src
                    .status
                    .next()
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if !dst.status.is_open() {
            return Err(DispatchError::conflict(
                Some("into"),
                format!(
                    "incident {into} is {}; merge into an open incident",
                    dst.status.as_str()
                ),
            ));
        }
        let mut ch = Changes::default();
        let moving: Vec<usize> = (0..src.assignments.len())
            .filter(|&k| src.assignments[k].released_at.is_none())
            .collect();
        for k in moving {
            // The unit is now sent to the surviving incident: a new order
            // its terminal receives, delivers and acknowledges.
            let eta_s = src.assignments[k].eta_s;
            let unit_id = src.assignments[k].unit_id.clone();
            let order = self.event(
                now,
                actor,
                Some(into),
                Some(&unit_id),
                EventKind::UnitDispatched { eta_s },
                Some(format!("merged from incident {id}")),
            );
            let a = &mut src.assignments[k];
            a.released_at = Some(now);
            dst.assignments.push(Assignment {
                unit_id: a.unit_id.clone(),
                at: now,
                eta_s: a.eta_s,
                released_at: None,
                order_seq: Some(order.seq),
                delivered_at: None,
                acked_at: None,
                ack_overdue: false,
            });
            ch.events.push(order);
            if let Some(mut u) = self.unit(&a.unit_id).cloned() {
                u.incident_id = Some(into);
                ch.unit(&u);
                self.put_unit(u);
            }
        }
        dst.callers.extend(src.callers.iter().cloned());
        dst.merged_from.push(id);
        src.merged_into = Some(into);
        self.move_status(now, actor, &mut src, IncidentStatus::Merged, None, &mut ch);
        let ev = self.event(
            now,
            actor,
            Some(id),
            None,
            EventKind::MergedInto { into },
            None,
        );
        ch.events.push(ev);
        let ev = self.event(
            now,
            actor,
            Some(into),
            None,
            EventKind::Absorbed { from: id },
            None,
        );
        ch.events.push(ev);
        if dst.status == IncidentStatus::Received && dst.active_units().next().is_some() {
            self.move_status(
                now,
                actor,
                &mut dst,
                IncidentStatus::Dispatched,
                Some(format!("units of merged incident {id}")),
                &mut ch,
            );
        }
        ch.incident(&src);
        ch.incident(&dst);
        self.put_incident(src);
        self.put_incident(dst.clone());
        Ok((dst, ch))
    }

    /// A unit on scene asks for more: recorded, then a recommendation that
    /// leaves out every unit already at the incident.
    pub fn reinforcement(
        &mut self,
        now: Millis,
        actor: &str,
        unit_id: &str,
        count: u32,
        reason: Option<&str>,
        key: Option<&str>,
    ) -> Result<(Recommendation, Changes), DispatchError> {
        let scope = format!("reinforcement/{unit_id}");
        let request = serde_json::to_string(&(count, reason)).expect("strings serialise");
        if let Some((_, incident)) = self.retried(&scope, key, &request)? {
            // Asked already: the recommendation as it stands now.
            let iid: IncidentId = incident.parse().map_err(|_| {
                DispatchError::conflict(None, format!("stored incident unreadable: {incident:?}"))
            })?;
            let here: Vec<UnitId> = self
                .get_incident(iid)?
                .active_units()
                .map(|a| a.unit_id.clone())
                .collect();
            return Ok((self.recommend(iid, &here)?, Changes::default()));
        }
        if !(1..=20).contains(&count) {
            return Err(DispatchError::invalid(
                "count",
                format!("ask for 1 to 20 more units, got {count}"),
            ));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > MAX_MESSAGE_CHARS) {
            return Err(DispatchError::invalid(
                "reason",
                format!("at most {MAX_MESSAGE_CHARS} characters"),
            ));
        }
        let u = self.get_unit(unit_id, "unit_id")?;
        let Some(iid) = u.incident_id.filter(|_| u.status == UnitStatus::OnScene) else {
            return Err(DispatchError::conflict(
                Some("unit_id"),
                format!(
                    "unit {unit_id} is {}, not on scene; only a unit on scene asks for reinforcement",
                    u.status.as_str()
                ),
            ));
        };
        let at_scene: Vec<UnitId> = self.incidents[&iid]
            .active_units()
            .map(|a| a.unit_id.clone())
            .collect();
        let rec = self.recommend(iid, &at_scene)?;
        let mut ch = Changes::default();
        let ev = self.event(
            now,
            actor,
            Some(iid),
            Some(unit_id),
            EventKind::ReinforcementRequested { count },
            reason.map(str::to_string),
        );
        let mut incident = self.incidents[&iid].clone();
        // A unit asking again before the answer: its newer request stands.
        incident
            .reinforcement_waiting
            .retain(|w| w.unit_id != unit_id);
        incident.reinforcement_waiting.push(ReinforcementWait {
            unit_id: unit_id.to_string(),
            request_seq: ev.seq,
            count,
        });
        ch.incident(&incident);
        self.put_incident(incident);
        ch.events.push(ev);
        self.remember(&scope, key, iid, &request, iid.to_string(), &mut ch);
        Ok((rec, ch))
    }

    /// Flags phases running over their targets (once per incident and phase).
    pub fn overdue(&mut self, now: Millis) -> Changes {
        let mut ch = Changes::default();
        let mut late: Vec<(IncidentId, Phase, u32)> = Vec::new();
        for refs in self.open_cells.values() {
            for r in refs {
                let id = &r.id;
                let i = &self.incidents[id];
                for phase in Phase::ALL {
                    let (start, end) = phase.bounds();
                    let target = self.config.targets.of(phase);
                    if i.overdue.contains(&phase) || i.reached_at(end).is_some() {
                        continue;
                    }
                    if let Some(t0) = i.reached_at(start)
                        && i.status.is_open()
                        && now - t0 > i64::from(target) * 1000
                    {
                        late.push((*id, phase, target));
                    }
                }
            }
        }
        late.sort_by_key(|l| l.0);
        for (id, phase, target) in late {
            let mut i = self.incidents[&id].clone();
            i.overdue.push(phase);
            let ev = self.event(
                now,
                "system",
                Some(id),
                None,
                EventKind::PhaseOverdue {
                    phase,
                    target_s: target,
                },
                None,
            );
            ch.events.push(ev);
            ch.incident(&i);
            self.put_incident(i);
        }
        // Orders no terminal has acknowledged in time: one alert each.
        let wait_ms = i64::from(self.config.ack_timeout_s) * 1000;
        let mut unacked: Vec<(IncidentId, String, i64, u32)> = Vec::new();
        for refs in self.open_cells.values() {
            for r in refs {
                let i = &self.incidents[&r.id];
                for a in &i.assignments {
                    if let Some(seq) = a.order_seq
                        && a.released_at.is_none()
                        && a.acked_at.is_none()
                        && !a.ack_overdue
                        && now - a.at > wait_ms
                    {
                        let after_s = ((now - a.at) / 1000).clamp(0, i64::from(u32::MAX)) as u32;
                        unacked.push((r.id, a.unit_id.clone(), seq, after_s));
                    }
                }
            }
        }
        unacked.sort_by_key(|u| u.2);
        for (id, unit_id, order_seq, after_s) in unacked {
            let mut i = self.incidents[&id].clone();
            for a in i
                .assignments
                .iter_mut()
                .filter(|a| a.order_seq == Some(order_seq))
            {
                a.ack_overdue = true;
            }
            let ev = self.event(
                now,
                "system",
                Some(id),
                Some(&unit_id),
                EventKind::OrderUnacknowledged { order_seq, after_s },
                None,
            );
            ch.events.push(ev);
            ch.incident(&i);
            self.put_incident(i);
        }
        ch
    }

    /// Records an incident imported from another system (EIDO), with a new local id.
    pub fn import_incident(
        &mut self,
        now: Millis,
        actor: &str,
        mut incident: Incident,
        source: &str,
    ) -> Result<(Incident, Changes), DispatchError> {
        self.config.kind(&incident.kind).ok_or_else(|| {
            DispatchError::invalid(
                "incidentComponent[0].incidentTypeInternalCode",
                format!("unknown kind {:?}", incident.kind),
            )
        })?;
        let (place, _) = self.locate(incident.lat, incident.lon)?;
        incident.id = self.next_incident;
        self.next_incident += 1;
        incident.place = place;
        incident.assignments.clear();
        incident.merged_into = None;
        incident.merged_from.clear();
        let mut ch = Changes::default();
        let ev = self.event(
            now,
            actor,
            Some(incident.id),
            None,
            EventKind::Imported {
                source: source.into(),
            },
            None,
        );
        ch.events.push(ev);
        ch.incident(&incident);
        self.put_incident(incident.clone());
        Ok((incident, ch))
    }
}

/// Foot and bicycle patrols do not drive: they take the longer of the drive
/// time and their own pace over the straight line with a 30% detour.
pub fn travel_seconds(kind: UnitKind, drive_s: f64, straight_m: f64) -> f64 {
    let pace = match kind {
        UnitKind::FootPatrol => 1.4,
        UnitKind::BikePatrol => 4.5,
        _ => return drive_s,
    };
    drive_s.max(1.3 * straight_m / pace)
}

fn merge_changes(into: &mut Changes, from: Changes) {
    for i in &from.incidents {
        into.incident(i);
    }
    for u in &from.units {
        into.unit(u);
    }
    into.events.extend(from.events);
    into.idempotency.extend(from.idempotency);
}

#[cfg(test)]
mod tests;
