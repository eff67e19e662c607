//! The typed wire format of the dispatch spine: what the API answers for
//! incidents, units, timeline events and errors, and the body of a new
//! call. Each type is built from the engine's record by hand, field by
//! field, so renaming a stored field cannot change the API (nor the
//! reverse), and each one's schema goes into the OpenAPI document.

use dispatch::time::format_rfc3339;
use dispatch::{Config, Event, EventKind, Incident, IncidentStatus, NewIncident, Phase, Unit};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub mod community;

/// The error envelope of every refusal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code (see the README's table).
    pub code: String,
    /// A sentence for a person: what is wrong, what to do.
    pub message: String,
    /// The offending field of the body, query string or path, when one is.
    pub field: Option<String>,
}

/// A new 110 call, as the call taker enters it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewIncidentBody {
    /// Kind code from the catalogue (`GET /api/v1/config`).
    pub kind: String,
    /// 1 (most urgent) to 4; the kind's default when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 4)]
    pub priority: Option<u8>,
    /// Latitude, WGS 84.
    pub lat: f64,
    /// Longitude, WGS 84.
    pub lon: f64,
    /// The place as the caller said it.
    #[serde(default)]
    pub address: Option<String>,
    /// The caller's name.
    #[serde(default)]
    pub caller_name: Option<String>,
    /// The caller's phone number.
    #[serde(default)]
    pub caller_phone: Option<String>,
    /// What happened.
    #[serde(default)]
    pub description: Option<String>,
}

impl From<NewIncidentBody> for NewIncident {
    fn from(b: NewIncidentBody) -> NewIncident {
        NewIncident {
            kind: b.kind,
            priority: b.priority,
            lat: b.lat,
            lon: b.lon,
            address: b.address,
            caller_name: b.caller_name,
            caller_phone: b.caller_phone,
            description: b.description,
        }
    }
}

/// A caller of an incident (a repeated call adds one).
#[derive(Debug, Serialize, ToSchema)]
pub struct CallerOut {
    /// Name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// When they called (RFC 3339).
    pub at: String,
}

/// The running phase of an incident and its timer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimerOut {
    /// `call_to_dispatch`, `dispatch_to_arrival`, …
    pub phase: &'static str,
    /// When the phase began (RFC 3339).
    pub since: String,
    /// Seconds since then.
    pub elapsed_s: f64,
    /// The phase's target, seconds.
    pub target_s: u32,
    /// Past its target.
    pub overdue: bool,
}

/// A unit sent to an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentOut {
    /// The unit.
    pub unit_id: String,
    /// When it was sent (RFC 3339).
    pub dispatched_at: String,
    /// Estimated drive time when sent, seconds.
    pub eta_s: Option<f64>,
    /// When it was released (RFC 3339).
    pub released_at: Option<String>,
    /// Still assigned.
    pub active: bool,
}

/// An earlier open incident near in space and time: maybe the same event.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateOut {
    /// The other incident.
    pub incident_id: i64,
    /// Straight-line metres between the two.
    pub meters: f64,
    /// Minutes between the two calls.
    pub minutes: f64,
}

/// An incident as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentOut {
    /// Incident number.
    pub id: i64,
    /// Kind code.
    pub kind: String,
    /// 1 (most urgent) to 4.
    pub priority: u8,
    /// Lifecycle status.
    pub status: &'static str,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// The place as given.
    pub address: Option<String>,
    /// The first caller's name.
    pub caller_name: Option<String>,
    /// The first caller's phone.
    pub caller_phone: Option<String>,
    /// Everyone who called about it.
    pub callers: Vec<CallerOut>,
    /// What happened.
    pub description: Option<String>,
    /// Bureau (分局) of the place.
    pub bureau_id: Option<String>,
    /// Police station (派出所) responsible for the place.
    pub station_id: Option<String>,
    /// Community or village (社区/村).
    pub community_id: Option<String>,
    /// Grid (网格).
    pub grid_id: Option<String>,
    /// When the call was taken (RFC 3339).
    pub created_at: String,
    /// When each status was reached (RFC 3339), by status.
    pub times: std::collections::BTreeMap<&'static str, String>,
    /// Seconds from the call to the first unit on scene.
    pub response_s: Option<f64>,
    /// The running phase, while the incident is open.
    pub timer: Option<TimerOut>,
    /// Phases past their target.
    pub overdue: Vec<&'static str>,
    /// Units sent.
    pub units: Vec<AssignmentOut>,
    /// The incident this one was merged into.
    pub merged_into: Option<i64>,
    /// Incidents merged into this one.
    pub merged_from: Vec<i64>,
    /// Possible duplicates flagged when the call was taken.
    pub possible_duplicates: Vec<DuplicateOut>,
}

impl IncidentOut {
    /// The incident at `now` (for its running timer).
    pub fn new(i: &Incident, config: &Config, now: i64) -> IncidentOut {
        let times = IncidentStatus::ALL
            .iter()
            .filter_map(|s| i.reached_at(*s).map(|t| (s.as_str(), format_rfc3339(t))))
            .collect();
        let timer = Phase::ALL.iter().find_map(|p| {
            let (a, b) = p.bounds();
            let start = i.reached_at(a)?;
            if i.reached_at(b).is_some() || !i.status.is_open() {
                return None;
            }
            let elapsed = (now - start) as f64 / 1000.0;
            let target = config.targets.of(*p);
            Some(TimerOut {
                phase: p.as_str(),
                since: format_rfc3339(start),
                elapsed_s: elapsed.round(),
                target_s: target,
                overdue: elapsed > f64::from(target),
            })
        });
        let first = i.callers.first();
        IncidentOut {
            id: i.id,
            kind: i.kind.clone(),
            priority: i.priority,
            status: i.status.as_str(),
            lat: i.lat,
            lon: i.lon,
            address: i.address.clone(),
            caller_name: first.and_then(|c| c.name.clone()),
            caller_phone: first.and_then(|c| c.phone.clone()),
            callers: i
                .callers
                .iter()
                .map(|c| CallerOut {
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    at: format_rfc3339(c.at),
                })
                .collect(),
            description: i.description.clone(),
            bureau_id: i.place.bureau_id.clone(),
            station_id: i.place.station_id.clone(),
            community_id: i.place.community_id.clone(),
            grid_id: i.place.grid_id.clone(),
            created_at: format_rfc3339(i.created_at),
            times,
            response_s: i.response_s(),
            timer,
            overdue: i.overdue.iter().map(|p| p.as_str()).collect(),
            units: i
                .assignments
                .iter()
                .map(|a| AssignmentOut {
                    unit_id: a.unit_id.clone(),
                    dispatched_at: format_rfc3339(a.at),
                    eta_s: a.eta_s,
                    released_at: a.released_at.map(format_rfc3339),
                    active: a.released_at.is_none(),
                })
                .collect(),
            merged_into: i.merged_into,
            merged_from: i.merged_from.clone(),
            possible_duplicates: i
                .possible_duplicates
                .iter()
                .map(|d| DuplicateOut {
                    incident_id: d.incident_id,
                    meters: d.meters,
                    minutes: d.minutes,
                })
                .collect(),
        }
    }
}

/// A unit as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitOut {
    /// Unit id.
    pub id: String,
    /// Radio call sign.
    pub callsign: String,
    /// `patrol_car`, `foot_patrol`, …
    pub kind: &'static str,
    /// Its police station.
    pub home_station: String,
    /// Officers on board.
    pub crew: u32,
    /// What it can do beyond its kind.
    pub capabilities: Vec<String>,
    /// `available`, `dispatched`, `en_route`, `on_scene`, …
    pub status: &'static str,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// When the position was reported (RFC 3339).
    pub position_at: String,
    /// The incident it is sent to.
    pub incident_id: Option<i64>,
    /// Its patrol post (巡逻岗).
    pub post_id: Option<String>,
}

impl From<&Unit> for UnitOut {
    fn from(u: &Unit) -> UnitOut {
        UnitOut {
            id: u.id.clone(),
            callsign: u.callsign.clone(),
            kind: u.kind.as_str(),
            home_station: u.home_station.clone(),
            crew: u.crew,
            capabilities: u.capabilities.clone(),
            status: u.status.as_str(),
            lat: u.lat,
            lon: u.lon,
            position_at: format_rfc3339(u.position_at),
            incident_id: u.incident_id,
            post_id: u.post_id.clone(),
        }
    }
}

/// A timeline entry: a status change (`status`, `from`) or another event
/// (`event` and its own fields).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    /// Sequence number in the event log (increasing).
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// The incident.
    pub incident_id: Option<i64>,
    /// The unit.
    pub unit_id: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// The new status, for a status change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The status before, for a status change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// What happened, for any other event (`dispatched`, `merged`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The event's own fields.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl From<&Event> for EventOut {
    fn from(e: &Event) -> EventOut {
        let mut out = EventOut {
            seq: e.seq,
            at: format_rfc3339(e.at),
            actor: e.actor.clone(),
            incident_id: e.incident_id,
            unit_id: e.unit_id.clone(),
            note: e.note.clone(),
            status: None,
            from: None,
            event: None,
            details: serde_json::Map::new(),
        };
        match &e.kind {
            EventKind::StatusChanged { from, to } => {
                out.status = Some(to.as_str().to_string());
                out.from = Some(from.as_str().to_string());
            }
            other => {
                out.event = Some(e.name().to_string());
                if let serde_json::Value::Object(payload) =
                    serde_json::to_value(other).expect("events serialise")
                {
                    let reserved = [
                        "event",
                        "seq",
                        "at",
                        "actor",
                        "incident_id",
                        "unit_id",
                        "note",
                    ];
                    out.details = payload
                        .into_iter()
                        .filter(|(k, _)| !reserved.contains(&k.as_str()))
                        .collect();
                }
            }
        }
        out
    }
}

/// A case transfer a station files ("两不办").
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTransferBody {
    /// Station (default: the submitter's own).
    pub station_id: Option<String>,
    /// Incident, if the case came from a 110 call.
    pub incident_id: Option<i64>,
    /// `criminal` or `vice`.
    pub case_class: String,
    /// Receiving specialised unit.
    pub to_unit: String,
    /// What the case is.
    pub summary: String,
}

impl From<NewTransferBody> for ::community::transfer::NewTransfer {
    fn from(b: NewTransferBody) -> Self {
        ::community::transfer::NewTransfer {
            station_id: b.station_id,
            incident_id: b.incident_id,
            case_class: b.case_class,
            to_unit: b.to_unit,
            summary: b.summary,
        }
    }
}

/// A lead (线索) a station passes on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLeadBody {
    /// Station (default: the submitter's own).
    pub station_id: Option<String>,
    /// Receiving unit.
    pub to_unit: String,
    /// What it is.
    pub summary: String,
}

impl From<NewLeadBody> for ::community::transfer::NewLead {
    fn from(b: NewLeadBody) -> Self {
        ::community::transfer::NewLead {
            station_id: b.station_id,
            to_unit: b.to_unit,
            summary: b.summary,
        }
    }
}

/// A party to a dispute.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyBody {
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
}

/// A dispute (矛盾纠纷) an officer screens.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisputeBody {
    /// Community or village.
    pub community_id: String,
    /// Parties (at least two).
    pub parties: Vec<PartyBody>,
    /// Type (`GET /api/v1/community/registers` lists them).
    pub dispute_type: String,
    /// Risk level.
    pub risk: String,
    /// What it is about.
    pub summary: String,
}

impl From<NewDisputeBody> for ::community::dispute::NewDispute {
    fn from(b: NewDisputeBody) -> Self {
        ::community::dispute::NewDispute {
            community_id: b.community_id,
            parties: b
                .parties
                .into_iter()
                .map(|p| ::community::dispute::Party {
                    name: p.name,
                    phone: p.phone,
                })
                .collect(),
            dispute_type: b.dispute_type,
            risk: b.risk,
            summary: b.summary,
        }
    }
}

/// An account as the API shows it (never its password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOut {
    /// Login.
    pub username: String,
    /// Role.
    pub role: String,
    /// Jurisdiction (none: the whole agency).
    pub scope: Option<String>,
    /// Display name.
    pub display_name: String,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOut {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the session ends (RFC 3339).
    pub expires_at: String,
    /// Who logged in.
    pub user: AccountOut,
}

/// The caller's session.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    /// Login.
    pub username: String,
    /// Role.
    pub role: String,
    /// Jurisdiction (none: the whole agency).
    pub scope: Option<String>,
    /// Display name.
    pub display_name: String,
    /// When the session ends (RFC 3339).
    pub expires_at: String,
}

/// An account in the administrators' list.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    /// Login.
    pub username: String,
    /// Role.
    pub role: String,
    /// Jurisdiction.
    pub scope: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Cannot log in.
    pub disabled: bool,
}

/// A created account.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUserOut {
    /// Login.
    pub username: String,
    /// Role.
    pub role: String,
    /// Jurisdiction.
    pub scope: Option<String>,
}

/// Sessions revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedOut {
    /// How many sessions ended.
    pub revoked_sessions: u64,
}

/// Incidents of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentListOut {
    /// How many matched (before `limit`).
    pub total: usize,
    /// Most urgent first, then oldest first.
    pub incidents: Vec<IncidentOut>,
}

/// The jurisdictions of a place.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceOut {
    /// Bureau (分局).
    pub bureau_id: Option<String>,
    /// Police station (派出所).
    pub station_id: Option<String>,
    /// Community or village (社区/村).
    pub community_id: Option<String>,
    /// Grid (网格).
    pub grid_id: Option<String>,
}

impl From<&dispatch::Place> for PlaceOut {
    fn from(p: &dispatch::Place) -> PlaceOut {
        PlaceOut {
            bureau_id: p.bureau_id.clone(),
            station_id: p.station_id.clone(),
            community_id: p.community_id.clone(),
            grid_id: p.grid_id.clone(),
        }
    }
}

/// An open incident that may be the same event as a call being taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct PossibleDuplicateOut {
    /// The incident.
    pub incident_id: i64,
    /// Straight-line metres.
    pub meters: f64,
    /// Minutes since it was called in.
    pub minutes: f64,
    /// Its kind.
    pub kind: String,
    /// Its status.
    pub status: &'static str,
    /// Its address.
    pub address: Option<String>,
}

/// A call checked before it is created.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckOut {
    /// The priority it would get.
    pub priority: u8,
    /// Where it lies.
    pub place: PlaceOut,
    /// Open incidents nearby that may be the same event.
    pub possible_duplicates: Vec<PossibleDuplicateOut>,
}

/// What a dispatch did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DispatchOut {
    /// The incident after it.
    pub incident: IncidentOut,
    /// The units sent.
    pub unit_ids: Vec<String>,
    /// A retried request with a known idempotency key: nothing new was sent.
    pub replayed: bool,
}

/// A unit ranked for an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedUnitOut {
    /// The unit.
    pub unit_id: String,
    /// Call sign.
    pub callsign: String,
    /// Kind.
    pub kind: &'static str,
    /// Its police station.
    pub home_station: String,
    /// Drive time, seconds.
    pub seconds: f64,
    /// Response circle: `1`, `3`, `5` or `beyond` (minutes).
    pub tier: &'static str,
}

/// Why a unit is recommended.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut {
    /// The unit.
    pub unit_id: String,
    /// The rule that chose it.
    pub rule: String,
    /// Drive time, seconds.
    pub seconds: f64,
    /// Response circle.
    pub tier: &'static str,
    /// For the dispatcher.
    pub text: String,
}

/// The two-way dispatch: the station responsible and the fastest unit(s).
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoWayOut {
    /// The station responsible for the place.
    pub station_id: Option<String>,
    /// The units to send.
    pub unit_ids: Vec<String>,
    /// Why each.
    pub reasons: Vec<ReasonOut>,
}

/// A wave of a tiered response plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaveOut {
    /// Its response circle.
    pub tier: &'static str,
    /// Its units.
    pub unit_ids: Vec<String>,
}

/// A part of the response plan no available unit meets.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmetOut {
    /// The kinds asked for.
    pub unit_kinds: Vec<&'static str>,
    /// How many were asked for.
    pub count: u32,
    /// How many were found.
    pub found: u32,
    /// Within this many seconds.
    pub within_s: Option<u32>,
}

/// Whom to send to an incident, by real driving time.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationOut {
    /// The incident.
    pub incident_id: i64,
    /// Available units, fastest first.
    pub units: Vec<RankedUnitOut>,
    /// The recommendation.
    pub two_way: TwoWayOut,
    /// Waves of a tiered response plan.
    pub waves: Option<Vec<WaveOut>>,
    /// What cannot be met.
    pub unmet: Vec<UnmetOut>,
    /// Units no road reaches.
    pub unreachable: Vec<String>,
    /// Time to compute, microseconds.
    pub computed_us: u64,
}

impl RecommendationOut {
    /// The engine's recommendation, computed in `computed_us`.
    pub fn new(r: &dispatch::Recommendation, computed_us: u64) -> RecommendationOut {
        RecommendationOut {
            incident_id: r.incident_id,
            units: r
                .units
                .iter()
                .map(|u| RankedUnitOut {
                    unit_id: u.unit_id.clone(),
                    callsign: u.callsign.clone(),
                    kind: u.kind.as_str(),
                    home_station: u.home_station.clone(),
                    seconds: u.seconds,
                    tier: u.tier.as_str(),
                })
                .collect(),
            two_way: TwoWayOut {
                station_id: r.two_way.station_id.clone(),
                unit_ids: r.two_way.unit_ids.clone(),
                reasons: r
                    .two_way
                    .reasons
                    .iter()
                    .map(|x| ReasonOut {
                        unit_id: x.unit_id.clone(),
                        rule: x.rule.clone(),
                        seconds: x.seconds,
                        tier: x.tier.as_str(),
                        text: x.text.clone(),
                    })
                    .collect(),
            },
            waves: r.waves.as_ref().map(|ws| {
                ws.iter()
                    .map(|w| WaveOut {
                        tier: w.tier.as_str(),
                        unit_ids: w.unit_ids.clone(),
                    })
                    .collect()
            }),
            unmet: r
                .unmet
                .iter()
                .map(|u| UnmetOut {
                    unit_kinds: u.unit_kinds.iter().map(|k| k.as_str()).collect(),
                    count: u.count,
                    found: u.found,
                    within_s: u.within_s,
                })
                .collect(),
            unreachable: r.unreachable.clone(),
            computed_us,
        }
    }
}
