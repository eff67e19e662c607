//! The typed wire format: what the API answers for incidents, units,
//! timeline events, errors and accounts, the bodies it reads, and
//! community policing's stored records (case transfers, leads, key persons,
//! disputes, ledger entries, police offices) in full and as lists show
//! them. The ledgers' `fields` are the user's data and go out as entered
//! (masked in summaries by the ledger's rules). Each type is built from
//! the engine's record by hand, field by field, so renaming a stored field
//! cannot change the API (nor the reverse); every instant is RFC 3339; each
//! one's schema goes into the OpenAPI document.
//!
//! Then the computed answers, stored nowhere: analysis (hotspots, near
//! repeat, trends, forecast), coverage plans and isochrones (GeoJSON through
//! [`geo`]), the assessment and community policing's figures; what the
//! dashboard reads to build its forms (`/config`, the ledgers' definitions,
//! the registers); the live feed's messages.

pub mod geo;

use ::community::dispute::{Dispute, DisputeSummary};
use ::community::ledger::{KeyPerson, KeyPersonSummary};
use ::community::ledgers::{Entry, EntrySummary};
use ::community::transfer::{Lead, Transfer, TransferStatus};
use dispatch::time::format_rfc3339;
use dispatch::{Config, Event, EventKind, Incident, IncidentStatus, Phase, Unit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use utoipa::ToSchema;

use geo::{FEATURE_COLLECTION, Feature, Geometry};

/// The error envelope of every refusal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code (see the README's table).
    pub(crate) code: String,
    /// A sentence for a person: what is wrong, what to do.
    pub(crate) message: String,
    /// The offending field of the body, query string or path, when one is.
    pub(crate) field: Option<String>,
}

/// A new 110 call, as the call taker enters it. The place is a search
/// result (`place_id`) or coordinates (`lat`/`lon` in `datum`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewIncidentBody {
    /// Kind code from the catalogue (`GET /api/v1/config`).
    pub(crate) kind: String,
    /// 1 (most urgent) to 4; the kind's default when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 4)]
    pub(crate) priority: Option<u8>,
    /// Required unless `place_id` is given.
    #[serde(default)]
    pub(crate) lat: Option<f64>,
    /// Required unless `place_id` is given.
    #[serde(default)]
    pub(crate) lon: Option<f64>,
    /// The `id` of a result of `GET /api/v1/places/search` or `/reverse`:
    /// the call is located there (its `lat`/`lon` are not needed).
    #[serde(default)]
    pub(crate) place_id: Option<String>,
    /// The datum of `lat`/`lon`: `wgs84` (default), `gcj02` or `bd09`;
    /// converted to WGS-84.
    #[serde(default)]
    pub(crate) datum: Option<String>,
    /// How the place was given: `typed_address`, `map_click`, `phone_fix`,
    /// `coordinates` (default; `typed_address` with a `place_id`).
    #[serde(default)]
    pub(crate) source: Option<String>,
    /// Uncertainty of the position, metres (a phone fix's accuracy).
    #[serde(default)]
    pub(crate) radius_m: Option<f64>,
    /// Whether the place is confirmed; by default it is, except typed text
    /// that matched no place. Unverified locations are listed for follow-up.
    #[serde(default)]
    pub(crate) verified: Option<bool>,
    /// The place as the caller said it.
    #[serde(default)]
    pub(crate) address: Option<String>,
    #[serde(default)]
    pub(crate) caller_name: Option<String>,
    /// The caller's phone number.
    #[serde(default)]
    pub(crate) caller_phone: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// The client's key for this call (1 to 200 characters): a retry of the
    /// same call with it, to any instance, before or after a restart,
    /// answers the incident made the first time; the same key with another
    /// call is a 409 naming `idempotency_key`.
    #[serde(default)]
    pub(crate) idempotency_key: Option<String>,
}

/// A caller of an incident (a repeated call adds one).
#[derive(Debug, Serialize, ToSchema)]
pub struct CallerOut {
    pub(crate) name: Option<String>,
    pub(crate) phone: Option<String>,
    /// When they called (RFC 3339).
    pub(crate) at: String,
}

/// The running phase of an incident and its timer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimerOut {
    pub(crate) phase: &'static str,
    /// When the phase began (RFC 3339).
    pub(crate) since: String,
    pub(crate) elapsed_s: f64,
    /// The phase's target, seconds.
    pub(crate) target_s: u32,
    pub(crate) overdue: bool,
}

/// A unit sent to an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentOut {
    pub(crate) unit_id: String,
    /// When it was sent (RFC 3339).
    pub(crate) dispatched_at: String,
    /// Estimated drive time when sent, seconds.
    pub(crate) eta_s: Option<f64>,
    /// When it was released (RFC 3339).
    pub(crate) released_at: Option<String>,
    pub(crate) active: bool,
    /// The order that sent it (`GET /api/v1/units/{id}/orders`).
    pub(crate) order_seq: Option<i64>,
    /// When the order reached its terminal (RFC 3339; null until then).
    pub(crate) delivered_at: Option<String>,
    /// When its terminal acknowledged the order (RFC 3339; null until then).
    pub(crate) acked_at: Option<String>,
    /// Not acknowledged within the configured time (`ack_timeout_s`): alerted.
    pub(crate) ack_overdue: bool,
}

/// An earlier open incident near in space and time: maybe the same event.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateOut {
    pub(crate) incident_id: i64,
    /// Straight-line metres between the two.
    pub(crate) meters: f64,
    /// Minutes between the two calls.
    pub(crate) minutes: f64,
}

/// An incident as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentOut {
    pub(crate) id: i64,
    pub(crate) kind: String,
    /// 1 (most urgent) to 4.
    pub(crate) priority: u8,
    pub(crate) status: &'static str,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    /// The place as given.
    pub(crate) address: Option<String>,
    /// The first caller's name.
    pub(crate) caller_name: Option<String>,
    /// The first caller's phone.
    pub(crate) caller_phone: Option<String>,
    /// Everyone who called about it.
    pub(crate) callers: Vec<CallerOut>,
    pub(crate) description: Option<String>,
    /// Bureau (分局) of the place.
    pub(crate) bureau_id: Option<String>,
    /// Police station (派出所) responsible for the place.
    pub(crate) station_id: Option<String>,
    /// Community or village (社区/村).
    pub(crate) community_id: Option<String>,
    pub(crate) grid_id: Option<String>,
    /// When the call was taken (RFC 3339).
    pub(crate) created_at: String,
    /// When each status was reached (RFC 3339), by status.
    pub(crate) times: std::collections::BTreeMap<&'static str, String>,
    /// Seconds from the call to the first unit on scene.
    pub(crate) response_s: Option<f64>,
    /// The running phase, while the incident is open.
    pub(crate) timer: Option<TimerOut>,
    /// Phases past their target.
    pub(crate) overdue: Vec<&'static str>,
    pub(crate) units: Vec<AssignmentOut>,
    /// The incident this one was merged into.
    pub(crate) merged_into: Option<i64>,
    /// Incidents merged into this one.
    pub(crate) merged_from: Vec<i64>,
    /// Possible duplicates flagged when the call was taken.
    pub(crate) possible_duplicates: Vec<DuplicateOut>,
    /// How the place was found and how sure it is.
    pub(crate) location: LocationOut,
}

/// An incident's location as a record.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationOut {
    /// Confirmed (a search result, a map click, a fix); unverified ones are
    /// listed for follow-up (`GET /api/v1/incidents?unverified=true`).
    pub(crate) verified: bool,
    /// `typed_address`, `map_click`, `phone_fix`, `eido`, `field_unit` or `coordinates`.
    pub(crate) source: &'static str,
    /// The datum the coordinates were given in (the incident's are WGS-84).
    pub(crate) datum: String,
    /// Uncertainty, metres.
    pub(crate) radius_m: Option<f64>,
    /// The place found (a search result's label).
    pub(crate) label: Option<String>,
    /// The places index's key of that result.
    pub(crate) place_id: Option<String>,
    /// The standard address's code (标准地址编码) when the place is one.
    pub(crate) address_code: Option<String>,
    /// Police station responsible for the place.
    pub(crate) station: Option<String>,
    /// Community or village (社区/村).
    pub(crate) community: Option<String>,
    pub(crate) grid: Option<String>,
}

impl LocationOut {
    fn new(i: &Incident) -> LocationOut {
        let l = i.location.clone().unwrap_or_else(|| dispatch::Location {
            verified: true,
            datum: "wgs84".into(),
            ..Default::default()
        });
        LocationOut {
            verified: l.verified,
            source: l.source.as_str(),
            datum: l.datum,
            radius_m: l.radius_m,
            label: l.label,
            place_id: l.place_id,
            address_code: l.address_code,
            station: i.place.station_id.clone(),
            community: i.place.community_id.clone(),
            grid: i.place.grid_id.clone(),
        }
    }
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
                    order_seq: a.order_seq,
                    delivered_at: a.delivered_at.map(format_rfc3339),
                    acked_at: a.acked_at.map(format_rfc3339),
                    ack_overdue: a.ack_overdue,
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
            location: LocationOut::new(i),
        }
    }
}

/// A unit as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitOut {
    pub(crate) id: String,
    pub(crate) callsign: String,
    pub(crate) kind: &'static str,
    pub(crate) home_station: String,
    pub(crate) crew: u32,
    /// What it can do beyond its kind.
    pub(crate) capabilities: Vec<String>,
    /// `available`, `dispatched`, `en_route`, `on_scene`, …
    pub(crate) status: &'static str,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    /// When the position was reported (RFC 3339).
    pub(crate) position_at: String,
    /// The incident it is sent to.
    pub(crate) incident_id: Option<i64>,
    /// Its patrol post (巡逻岗).
    pub(crate) post_id: Option<String>,
    /// The crew logged on to its terminal.
    pub(crate) crew_names: Vec<String>,
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
            crew_names: u.crew_names.clone(),
        }
    }
}

/// One incident with its timeline, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentWithTimelineOut {
    #[serde(flatten)]
    pub(crate) incident: IncidentOut,
    pub(crate) timeline: Vec<EventOut>,
}

/// A timeline entry: a status change (`status`, `from`) or another event
/// (`event` and its own fields).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    /// Sequence number in the event log (increasing).
    pub(crate) seq: i64,
    pub(crate) at: String,
    pub(crate) actor: String,
    pub(crate) incident_id: Option<i64>,
    pub(crate) unit_id: Option<String>,
    pub(crate) note: Option<String>,
    /// The new status, for a status change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<String>,
    /// The status before, for a status change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) from: Option<String>,
    /// What happened, for any other event (`dispatched`, `merged`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) event: Option<String>,
    /// The event's own fields.
    #[serde(flatten)]
    pub(crate) details: Option<EventDetails>,
    /// When the server received it, where `at` is the device's own time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) received_at: Option<String>,
}

/// What an event adds, by event (flattened into it).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum EventDetails {
    /// `incident_created`.
    Created {
        kind: String,
        priority: u8,
        lat: f64,
        lon: f64,
    },
    /// `unit_dispatched`: the estimated drive, seconds.
    Dispatched { eta_s: Option<f64> },
    /// `unit_status_changed`.
    UnitStatus {
        from: &'static str,
        to: &'static str,
    },
    /// `duplicate_flagged`: the incidents it may repeat.
    Duplicates { of: Vec<i64> },
    /// `merged_into`.
    MergedInto { into: i64 },
    /// `absorbed`: the incident merged into this one.
    Absorbed { from: i64 },
    /// `phase_overdue`.
    Overdue { phase: &'static str, target_s: u32 },
    /// `imported`: where from.
    Imported { source: String },
    /// `order_acknowledged`: the order, and the terminal's time if it said.
    Acknowledged {
        order_seq: i64,
        device_at: Option<String>,
    },
    /// `order_unacknowledged`: the order, and how long it has waited.
    Unacknowledged { order_seq: i64, after_s: u32 },
    /// An order reached (or was sent again to) its terminal.
    Order { order_seq: i64 },
    /// A message to or from a unit.
    Message { text: String },
    /// A unit on scene asked for this many more (the reason is the note).
    Reinforcement { count: u32 },
    /// A report from the scene (`GET /api/v1/incidents/{id}/reports`).
    Report { report_id: String },
    /// The crew logged on to a unit's terminal.
    Crew { names: Vec<String> },
    /// `reinforcement_answered`: the request answered and the units sent.
    ReinforcementAnswer {
        request_seq: i64,
        units: Vec<String>,
    },
}

impl EventDetails {
    fn of(kind: &EventKind) -> Option<EventDetails> {
        Some(match kind {
            EventKind::IncidentCreated {
                kind,
                priority,
                lat,
                lon,
            } => EventDetails::Created {
                kind: kind.clone(),
                priority: *priority,
                lat: *lat,
                lon: *lon,
            },
            EventKind::UnitDispatched { eta_s } => EventDetails::Dispatched { eta_s: *eta_s },
            EventKind::UnitStatusChanged { from, to } => EventDetails::UnitStatus {
                from: from.as_str(),
                to: to.as_str(),
            },
            EventKind::DuplicateFlagged { of } => EventDetails::Duplicates { of: of.clone() },
            EventKind::MergedInto { into } => EventDetails::MergedInto { into: *into },
            EventKind::Absorbed { from } => EventDetails::Absorbed { from: *from },
            EventKind::PhaseOverdue { phase, target_s } => EventDetails::Overdue {
                phase: phase.as_str(),
                target_s: *target_s,
            },
            EventKind::Imported { source } => EventDetails::Imported {
                source: source.clone(),
            },
            EventKind::OrderAcknowledged {
                order_seq,
                device_at,
            } => EventDetails::Acknowledged {
                order_seq: *order_seq,
                device_at: device_at.map(format_rfc3339),
            },
            EventKind::OrderUnacknowledged { order_seq, after_s } => EventDetails::Unacknowledged {
                order_seq: *order_seq,
                after_s: *after_s,
            },
            EventKind::OrderDelivered { order_seq } | EventKind::OrderResent { order_seq } => {
                EventDetails::Order {
                    order_seq: *order_seq,
                }
            }
            EventKind::MessageToUnit { text } | EventKind::MessageFromUnit { text } => {
                EventDetails::Message { text: text.clone() }
            }
            EventKind::CrewChanged { names } => EventDetails::Crew {
                names: names.clone(),
            },
            EventKind::ReportFiled { report_id } => EventDetails::Report {
                report_id: report_id.clone(),
            },
            EventKind::ReinforcementRequested { count } => {
                EventDetails::Reinforcement { count: *count }
            }
            EventKind::ReinforcementAnswered { request_seq, units } => {
                EventDetails::ReinforcementAnswer {
                    request_seq: *request_seq,
                    units: units.clone(),
                }
            }
            EventKind::StatusChanged { .. }
            | EventKind::UnitReleased
            | EventKind::UnitRegistered => return None,
        })
    }
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
            details: None,
            received_at: e.received_at.map(format_rfc3339),
        };
        match &e.kind {
            EventKind::StatusChanged { from, to } => {
                out.status = Some(to.as_str().to_string());
                out.from = Some(from.as_str().to_string());
            }
            other => {
                out.event = Some(e.name().to_string());
                out.details = EventDetails::of(other);
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
    pub(crate) station_id: Option<String>,
    /// Incident, if the case came from a 110 call.
    pub(crate) incident_id: Option<i64>,
    pub(crate) case_class: String,
    pub(crate) to_unit: String,
    /// What the case is.
    pub(crate) summary: String,
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
    pub(crate) station_id: Option<String>,
    pub(crate) to_unit: String,
    pub(crate) summary: String,
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
    pub(crate) name: String,
    pub(crate) phone: Option<String>,
}

/// A dispute (矛盾纠纷) an officer screens.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisputeBody {
    pub(crate) community_id: String,
    /// Parties (at least two).
    pub(crate) parties: Vec<PartyBody>,
    /// Type (`GET /api/v1/community/registers` lists them).
    pub(crate) dispute_type: String,
    pub(crate) risk: String,
    /// What it is about.
    pub(crate) summary: String,
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
    pub(crate) username: String,
    pub(crate) role: String,
    /// Jurisdiction (none: the whole agency).
    pub(crate) scope: Option<String>,
    pub(crate) display_name: String,
    /// A field terminal's account: its unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit_id: Option<String>,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOut {
    /// Send as `Authorization: Bearer <token>`.
    pub(crate) token: String,
    /// When the session ends (RFC 3339).
    pub(crate) expires_at: String,
    pub(crate) user: AccountOut,
}

/// The caller's session.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    pub(crate) username: String,
    pub(crate) role: String,
    /// Jurisdiction (none: the whole agency).
    pub(crate) scope: Option<String>,
    pub(crate) display_name: String,
    /// When the session ends (RFC 3339).
    pub(crate) expires_at: String,
    /// A field terminal's account: its unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit_id: Option<String>,
}

/// An account in the administrators' list.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub(crate) username: String,
    pub(crate) role: String,
    pub(crate) scope: Option<String>,
    pub(crate) display_name: String,
    pub(crate) disabled: bool,
}

/// A created account.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUserOut {
    pub(crate) username: String,
    pub(crate) role: String,
    pub(crate) scope: Option<String>,
}

/// Sessions revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedOut {
    /// How many sessions ended.
    pub(crate) revoked_sessions: u64,
}

/// Incidents of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentListOut {
    /// How many matched (before `limit`).
    pub(crate) total: usize,
    /// Most urgent first, then oldest first.
    pub(crate) incidents: Vec<IncidentOut>,
}

/// The jurisdictions of a place.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceOut {
    pub(crate) bureau_id: Option<String>,
    pub(crate) station_id: Option<String>,
    /// Community or village (社区/村).
    pub(crate) community_id: Option<String>,
    pub(crate) grid_id: Option<String>,
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
    pub(crate) incident_id: i64,
    pub(crate) meters: f64,
    /// Minutes since it was called in.
    pub(crate) minutes: f64,
    pub(crate) kind: String,
    pub(crate) status: &'static str,
    pub(crate) address: Option<String>,
}

/// A call checked before it is created.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckOut {
    /// The priority it would get.
    pub(crate) priority: u8,
    pub(crate) place: PlaceOut,
    /// Open incidents nearby that may be the same event.
    pub(crate) possible_duplicates: Vec<PossibleDuplicateOut>,
}

/// What a dispatch did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DispatchOut {
    /// The incident after it.
    pub(crate) incident: IncidentOut,
    pub(crate) unit_ids: Vec<String>,
    /// A retried request with a known idempotency key: nothing new was sent.
    pub(crate) replayed: bool,
}

/// A unit ranked for an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedUnitOut {
    pub(crate) unit_id: String,
    pub(crate) callsign: String,
    pub(crate) kind: &'static str,
    pub(crate) home_station: String,
    pub(crate) seconds: f64,
    /// Response circle: `1`, `3`, `5` or `beyond` (minutes).
    pub(crate) tier: &'static str,
}

/// Why a unit is recommended.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut {
    pub(crate) unit_id: String,
    /// The rule that chose it.
    pub(crate) rule: String,
    pub(crate) seconds: f64,
    pub(crate) tier: &'static str,
    pub(crate) text: String,
}

/// The two-way dispatch: the station responsible and the fastest unit(s).
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoWayOut {
    /// The station responsible for the place.
    pub(crate) station_id: Option<String>,
    /// The units to send.
    pub(crate) unit_ids: Vec<String>,
    pub(crate) reasons: Vec<ReasonOut>,
}

/// A wave of a tiered response plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaveOut {
    pub(crate) tier: &'static str,
    pub(crate) unit_ids: Vec<String>,
}

/// A part of the response plan no available unit meets.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmetOut {
    /// The kinds asked for.
    pub(crate) unit_kinds: Vec<&'static str>,
    /// How many were asked for.
    pub(crate) count: u32,
    /// How many were found.
    pub(crate) found: u32,
    /// Within this many seconds.
    pub(crate) within_s: Option<u32>,
}

/// A unit moved to another incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReassignOut {
    /// The incident it now serves.
    pub(crate) incident_id: i64,
    /// The units moved.
    pub(crate) unit_ids: Vec<String>,
    /// A retried request with a known idempotency key: nothing new was done.
    pub(crate) replayed: bool,
}

/// Whom to send to an incident, by real driving time.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationOut {
    pub(crate) incident_id: i64,
    /// Available units, fastest first.
    pub(crate) units: Vec<RankedUnitOut>,
    pub(crate) two_way: TwoWayOut,
    /// Waves of a tiered response plan.
    pub(crate) waves: Option<Vec<WaveOut>>,
    /// What cannot be met.
    pub(crate) unmet: Vec<UnmetOut>,
    /// Units no road reaches.
    pub(crate) unreachable: Vec<String>,
    /// Time to compute, microseconds (when the answer measured it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) computed_us: Option<u64>,
}

impl RecommendationOut {
    /// The engine's recommendation, computed in `computed_us`.
    pub fn new(r: &dispatch::Recommendation, computed_us: Option<u64>) -> RecommendationOut {
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

// ---------------------------------------------------------------- community policing

fn time(ms: i64) -> String {
    format_rfc3339(ms)
}

fn transfer_status(s: TransferStatus) -> &'static str {
    match s {
        TransferStatus::Pending => "pending",
        TransferStatus::Accepted => "accepted",
        TransferStatus::Returned => "returned",
    }
}

/// One step of a transfer's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferStepOut {
    /// `pending`, `accepted` or `returned`.
    pub(crate) status: &'static str,
    pub(crate) at: String,
    pub(crate) by: String,
    /// Why (a return's reason).
    pub(crate) reason: Option<String>,
}

/// A case transfer ("两不办") from a station to a specialised unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferOut {
    pub(crate) id: String,
    pub(crate) station_id: String,
    /// The 110 incident it came from.
    pub(crate) incident_id: Option<i64>,
    pub(crate) case_class: String,
    pub(crate) to_unit: String,
    /// What the case is.
    pub(crate) summary: String,
    /// `pending`, `accepted` or `returned`.
    pub(crate) status: &'static str,
    pub(crate) created_at: String,
    /// Every step, oldest first.
    pub(crate) history: Vec<TransferStepOut>,
    /// Pending past the decision timer.
    pub(crate) overdue: bool,
    /// Minutes from filing to acceptance.
    pub(crate) minutes_to_accept: Option<f64>,
}

impl TransferOut {
    /// The transfer at `now` (for its timer).
    pub fn new(t: &Transfer, now: i64) -> TransferOut {
        TransferOut {
            id: t.id.clone(),
            station_id: t.station_id.clone(),
            incident_id: t.incident_id,
            case_class: t.case_class.clone(),
            to_unit: t.to_unit.clone(),
            summary: t.summary.clone(),
            status: transfer_status(t.status),
            created_at: time(t.created_at),
            history: t
                .history
                .iter()
                .map(|s| TransferStepOut {
                    status: transfer_status(s.status),
                    at: time(s.at),
                    by: s.by.clone(),
                    reason: s.reason.clone(),
                })
                .collect(),
            overdue: t.overdue(now),
            minutes_to_accept: t.time_to_accept().map(|ms| ms as f64 / 60_000.0),
        }
    }
}

/// A unit's feedback on a lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadFeedbackOut {
    /// Whether the unit used it.
    pub(crate) used: bool,
    /// What came of it.
    pub(crate) note: Option<String>,
    pub(crate) at: String,
    pub(crate) by: String,
}

/// A lead (线索) a station handed to a unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadOut {
    pub(crate) id: String,
    pub(crate) station_id: String,
    pub(crate) to_unit: String,
    pub(crate) summary: String,
    /// Handed over (RFC 3339).
    pub(crate) created_at: String,
    pub(crate) created_by: String,
    /// The unit's feedback, once given.
    pub(crate) feedback: Option<LeadFeedbackOut>,
}

impl From<&Lead> for LeadOut {
    fn from(l: &Lead) -> LeadOut {
        LeadOut {
            id: l.id.clone(),
            station_id: l.station_id.clone(),
            to_unit: l.to_unit.clone(),
            summary: l.summary.clone(),
            created_at: time(l.created_at),
            created_by: l.created_by.clone(),
            feedback: l.feedback.as_ref().map(|f| LeadFeedbackOut {
                used: f.used,
                note: f.note.clone(),
                at: time(f.at),
                by: f.by.clone(),
            }),
        }
    }
}

/// A key person's whole record (an audited read).
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyPersonOut {
    pub(crate) id: String,
    pub(crate) community_id: String,
    pub(crate) name: String,
    pub(crate) id_number: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) category: String,
    /// Why they are registered.
    pub(crate) reason: String,
    pub(crate) officer: String,
    /// Next visit due (RFC 3339).
    pub(crate) next_visit_due: Option<String>,
    pub(crate) created_at: String,
    /// Last change (RFC 3339).
    pub(crate) updated_at: String,
}

impl From<&KeyPerson> for KeyPersonOut {
    fn from(p: &KeyPerson) -> KeyPersonOut {
        KeyPersonOut {
            id: p.id.clone(),
            community_id: p.community_id.clone(),
            name: p.name.clone(),
            id_number: p.id_number.clone(),
            address: p.address.clone(),
            category: p.category.clone(),
            reason: p.reason.clone(),
            officer: p.officer.clone(),
            next_visit_due: p.next_visit_due.map(time),
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
        }
    }
}

/// A key person as lists show them: the name's initial only.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyPersonSummaryOut {
    pub(crate) id: String,
    pub(crate) community_id: String,
    /// The name's first character and `**`.
    pub(crate) name: String,
    pub(crate) category: String,
    pub(crate) officer: String,
    /// Next visit due (RFC 3339).
    pub(crate) next_visit_due: Option<String>,
    /// Last change (RFC 3339).
    pub(crate) updated_at: String,
}

impl From<KeyPersonSummary> for KeyPersonSummaryOut {
    fn from(s: KeyPersonSummary) -> KeyPersonSummaryOut {
        KeyPersonSummaryOut {
            id: s.id,
            community_id: s.community_id,
            name: s.name,
            category: s.category,
            officer: s.officer,
            next_visit_due: s.next_visit_due.map(time),
            updated_at: time(s.updated_at),
        }
    }
}

/// A party to a dispute.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartyOut {
    pub(crate) name: String,
    pub(crate) phone: Option<String>,
}

/// A mediation step.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediationStepOut {
    pub(crate) at: String,
    pub(crate) by: String,
    pub(crate) note: String,
}

/// How a mediation ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeOut {
    pub(crate) resolved: bool,
    pub(crate) at: String,
    pub(crate) note: String,
}

/// A follow-up visit.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpOut {
    pub(crate) due: String,
    pub(crate) done_at: Option<String>,
}

/// A dispute passed up.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationOut {
    pub(crate) at: String,
    pub(crate) to: String,
    pub(crate) reason: String,
}

/// A dispute's whole record (an audited read).
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeOut {
    pub(crate) id: String,
    pub(crate) community_id: String,
    pub(crate) parties: Vec<PartyOut>,
    pub(crate) dispute_type: String,
    pub(crate) risk: String,
    /// What it is about.
    pub(crate) summary: String,
    pub(crate) screened_at: String,
    pub(crate) steps: Vec<MediationStepOut>,
    pub(crate) outcome: Option<OutcomeOut>,
    pub(crate) follow_ups: Vec<FollowUpOut>,
    pub(crate) escalation: Option<EscalationOut>,
    pub(crate) created_at: String,
}

impl From<&Dispute> for DisputeOut {
    fn from(d: &Dispute) -> DisputeOut {
        DisputeOut {
            id: d.id.clone(),
            community_id: d.community_id.clone(),
            parties: d
                .parties
                .iter()
                .map(|p| PartyOut {
                    name: p.name.clone(),
                    phone: p.phone.clone(),
                })
                .collect(),
            dispute_type: d.dispute_type.clone(),
            risk: d.risk.clone(),
            summary: d.summary.clone(),
            screened_at: time(d.screened_at),
            steps: d
                .steps
                .iter()
                .map(|s| MediationStepOut {
                    at: time(s.at),
                    by: s.by.clone(),
                    note: s.note.clone(),
                })
                .collect(),
            outcome: d.outcome.as_ref().map(|o| OutcomeOut {
                resolved: o.resolved,
                at: time(o.at),
                note: o.note.clone(),
            }),
            follow_ups: d
                .follow_ups
                .iter()
                .map(|f| FollowUpOut {
                    due: time(f.due),
                    done_at: f.done_at.map(time),
                })
                .collect(),
            escalation: d.escalation.as_ref().map(|e| EscalationOut {
                at: time(e.at),
                to: e.to.clone(),
                reason: e.reason.clone(),
            }),
            created_at: time(d.created_at),
        }
    }
}

/// A dispute as lists show it: the parties' initials only.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeSummaryOut {
    pub(crate) id: String,
    pub(crate) community_id: String,
    pub(crate) parties: Vec<String>,
    pub(crate) dispute_type: String,
    pub(crate) risk: String,
    pub(crate) screened_at: String,
    /// Mediation steps so far.
    pub(crate) steps: usize,
    /// `resolved` or `unresolved`, once there is an outcome.
    pub(crate) outcome: Option<&'static str>,
    pub(crate) escalated: bool,
    pub(crate) overdue_follow_ups: usize,
    /// The next follow-up due (RFC 3339).
    pub(crate) next_follow_up: Option<String>,
}

impl From<DisputeSummary> for DisputeSummaryOut {
    fn from(s: DisputeSummary) -> DisputeSummaryOut {
        DisputeSummaryOut {
            id: s.id,
            community_id: s.community_id,
            parties: s.parties,
            dispute_type: s.dispute_type,
            risk: s.risk,
            screened_at: time(s.screened_at),
            steps: s.steps,
            outcome: s.outcome,
            escalated: s.escalated,
            overdue_follow_ups: s.overdue_follow_ups,
            next_follow_up: s.next_follow_up.map(time),
        }
    }
}

/// One step of a ledger entry's workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryStepOut {
    pub(crate) at: String,
    pub(crate) by: String,
    pub(crate) action: String,
    /// The status it led to.
    pub(crate) status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    /// The action's result (e.g. an inspection's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) link: Option<String>,
}

/// A ledger entry's whole record.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryOut {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) community_id: String,
    pub(crate) station_id: String,
    /// The ledger's fields, as entered.
    #[schema(value_type = Object)]
    pub(crate) fields: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<String>,
    pub(crate) steps: Vec<EntryStepOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) due_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) closed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) link: Option<String>,
    pub(crate) created_by: String,
    pub(crate) created_at: String,
    /// Last change (RFC 3339).
    pub(crate) updated_at: String,
}

impl From<&Entry> for EntryOut {
    fn from(e: &Entry) -> EntryOut {
        EntryOut {
            id: e.id.clone(),
            kind: e.kind.clone(),
            community_id: e.community_id.clone(),
            station_id: e.station_id.clone(),
            fields: e.fields.clone(),
            status: e.status.clone(),
            steps: e
                .steps
                .iter()
                .map(|s| EntryStepOut {
                    at: time(s.at),
                    by: s.by.clone(),
                    action: s.action.clone(),
                    status: s.status.clone(),
                    note: s.note.clone(),
                    result: s.result.clone(),
                    link: s.link.clone(),
                })
                .collect(),
            due_at: e.due_at.map(time),
            closed_at: e.closed_at.map(time),
            link: e.link.clone(),
            created_by: e.created_by.clone(),
            created_at: time(e.created_at),
            updated_at: time(e.updated_at),
        }
    }
}

/// A ledger entry as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntrySummaryOut {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) community_id: String,
    pub(crate) station_id: String,
    /// The fields a list may show, masked where the ledger says.
    #[schema(value_type = Object)]
    pub(crate) fields: serde_json::Map<String, serde_json::Value>,
    pub(crate) status: Option<String>,
    pub(crate) due_at: Option<String>,
    pub(crate) closed_at: Option<String>,
    pub(crate) link: Option<String>,
    /// Workflow steps so far.
    pub(crate) steps: usize,
    /// The last step's result.
    pub(crate) last_result: Option<String>,
    pub(crate) overdue: bool,
    /// Hours from registration to closure.
    pub(crate) hours_to_close: Option<f64>,
    pub(crate) created_at: String,
    /// Last change (RFC 3339).
    pub(crate) updated_at: String,
}

impl From<EntrySummary> for EntrySummaryOut {
    fn from(s: EntrySummary) -> EntrySummaryOut {
        EntrySummaryOut {
            id: s.id,
            kind: s.kind,
            community_id: s.community_id,
            station_id: s.station_id,
            fields: s.fields,
            status: s.status,
            due_at: s.due_at.map(time),
            closed_at: s.closed_at.map(time),
            link: s.link,
            steps: s.steps,
            last_result: s.last_result,
            overdue: s.overdue,
            hours_to_close: s.hours_to_close,
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
        }
    }
}

/// A patrol post (巡逻岗): where a unit waits between calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostOut {
    /// Post id.
    pub(crate) id: String,
    pub(crate) name: String,
    /// The station that staffs it.
    pub(crate) station_id: String,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    /// `day`, `night` or `all`.
    pub(crate) shift: String,
}

impl From<&dispatch::Post> for PostOut {
    fn from(p: &dispatch::Post) -> PostOut {
        PostOut {
            id: p.id.clone(),
            name: p.name.clone(),
            station_id: p.station_id.clone(),
            lat: p.lat,
            lon: p.lon,
            shift: p.shift.clone(),
        }
    }
}

/// A village or community police office (警务室).
#[derive(Debug, Serialize, ToSchema)]
pub struct PoliceOfficeOut {
    pub(crate) id: String,
    pub(crate) name: String,
    /// The community or village it serves.
    pub(crate) community_id: String,
    pub(crate) station_id: String,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    /// Class (1 to 3).
    pub(crate) class: u8,
    pub(crate) staff: u32,
    pub(crate) hours: String,
    /// In the same building as the village or community committee.
    pub(crate) shares_committee_office: bool,
}

impl From<&dispatch::PoliceOffice> for PoliceOfficeOut {
    fn from(o: &dispatch::PoliceOffice) -> PoliceOfficeOut {
        PoliceOfficeOut {
            id: o.id.clone(),
            name: o.name.clone(),
            community_id: o.community_id.clone(),
            station_id: o.station_id.clone(),
            lat: o.lat,
            lon: o.lon,
            class: o.class,
            staff: o.staff,
            hours: o.hours.clone(),
            shares_committee_office: o.shares_committee_office,
        }
    }
}

/// The transfers of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransfersOut {
    /// Newest first.
    pub(crate) entries: Vec<TransferOut>,
    /// Pass as `cursor` for the next page (`null`: this is the last).
    pub(crate) next: Option<String>,
}

/// The leads of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadsOut {
    /// Newest first.
    pub(crate) entries: Vec<LeadOut>,
    /// Pass as `cursor` for the next page (`null`: this is the last).
    pub(crate) next: Option<String>,
}

/// The key persons register: its legal basis and the summaries.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyPersonsOut {
    /// The register (legal basis, purpose, retention).
    pub(crate) register: RegisterOut,
    /// Newest first.
    pub(crate) entries: Vec<KeyPersonSummaryOut>,
    /// Pass as `cursor` for the next page (`null`: this is the last).
    pub(crate) next: Option<String>,
}

/// The dispute ledger: its legal basis and the summaries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputesOut {
    /// The register (legal basis, purpose, retention).
    pub(crate) register: RegisterOut,
    /// Newest first.
    pub(crate) entries: Vec<DisputeSummaryOut>,
    /// Pass as `cursor` for the next page (`null`: this is the last).
    pub(crate) next: Option<String>,
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub(crate) at: String,
    pub(crate) actor: String,
    /// `create`, `read`, `update`, `delete`, `purge`, …
    pub(crate) action: String,
    pub(crate) kind: String,
    pub(crate) record_id: String,
    pub(crate) reason: Option<String>,
}

impl From<&store::AuditEntry> for AuditEntryOut {
    fn from(e: &store::AuditEntry) -> AuditEntryOut {
        AuditEntryOut {
            at: time(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            kind: e.kind.clone(),
            record_id: e.record_id.clone(),
            reason: e.reason.clone(),
        }
    }
}

/// The newest audit entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogOut {
    pub(crate) entries: Vec<AuditEntryOut>,
}

/// A ledger's entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntriesOut {
    /// The ledger's description (fields, workflow, register).
    pub(crate) ledger: LedgerOut,
    /// Newest first.
    pub(crate) entries: Vec<EntrySummaryOut>,
    /// Pass as `cursor` for the next page (`null`: this is the last).
    pub(crate) next: Option<String>,
}

/// A candidate match of a lost or found item.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchOut {
    /// Similarity, 0 to 1.
    pub(crate) score: f64,
    pub(crate) reasons: Vec<String>,
    pub(crate) entry: EntrySummaryOut,
}

/// The candidates for one record.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchesOut {
    #[serde(rename = "for")]
    pub(crate) for_entry: EntrySummaryOut,
    pub(crate) candidates: Vec<MatchOut>,
}

/// Something a community officer has to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskOut {
    /// What kind of record it comes from (`dispute`, `key_person`, `incident`, a ledger kind).
    pub(crate) kind: String,
    pub(crate) id: String,
    pub(crate) community_id: String,
    pub(crate) what: String,
    pub(crate) due_at: String,
    pub(crate) overdue: bool,
}

/// The task list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TasksOut {
    /// Tasks due before this (RFC 3339).
    pub(crate) until: String,
    /// The time of the list (RFC 3339).
    pub(crate) now: String,
    /// Overdue first, then by due time.
    pub(crate) tasks: Vec<TaskOut>,
}

/// What an import wrote.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedOut {
    pub(crate) imported: usize,
    pub(crate) ids: Vec<String>,
}

// ---------------------------------------------------------------- figures and look-ups

/// Median and 90th percentile of a phase.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpreadOut {
    /// Incidents that completed the phase.
    pub(crate) n: usize,
    /// Median, seconds.
    pub(crate) median_s: Option<f64>,
    /// 90th percentile (nearest rank), seconds.
    pub(crate) p90_s: Option<f64>,
}

/// The response figures of one group of incidents.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresRowOut {
    /// Station id, kind code or period start.
    pub(crate) key: String,
    pub(crate) incidents: usize,
    /// With a unit on scene.
    pub(crate) reached: usize,
    /// Share reached within 1, 3 and 5 minutes of the call, by minutes.
    pub(crate) within: std::collections::BTreeMap<String, f64>,
    /// Each phase's spread, by phase.
    pub(crate) phases: std::collections::BTreeMap<String, SpreadOut>,
}

impl From<&dispatch::figures::Row> for FiguresRowOut {
    fn from(r: &dispatch::figures::Row) -> FiguresRowOut {
        FiguresRowOut {
            key: r.key.clone(),
            incidents: r.incidents,
            reached: r.reached,
            within: r.within.clone(),
            phases: r
                .phases
                .iter()
                .map(|(k, s)| {
                    let spread = SpreadOut {
                        n: s.n,
                        median_s: s.median_s,
                        p90_s: s.p90_s,
                    };
                    (k.clone(), spread)
                })
                .collect(),
        }
    }
}

/// Response figures: in total, by station, kind and period.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresOut {
    pub(crate) total: FiguresRowOut,
    pub(crate) by_station: Vec<FiguresRowOut>,
    pub(crate) by_kind: Vec<FiguresRowOut>,
    pub(crate) by_period: Vec<FiguresRowOut>,
}

impl From<&dispatch::figures::Figures> for FiguresOut {
    fn from(f: &dispatch::figures::Figures) -> FiguresOut {
        let rows = |rs: &[dispatch::figures::Row]| rs.iter().map(FiguresRowOut::from).collect();
        FiguresOut {
            total: FiguresRowOut::from(&f.total),
            by_station: rows(&f.by_station),
            by_kind: rows(&f.by_kind),
            by_period: rows(&f.by_period),
        }
    }
}

/// A jurisdiction named in an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct JurisdictionNameOut {
    pub(crate) id: String,
    pub(crate) name_zh: String,
    pub(crate) name_en: Option<String>,
}

/// The jurisdictions a point lies in.
#[derive(Debug, Serialize, ToSchema)]
pub struct JurisdictionsAtOut {
    /// Bureau (分局).
    pub(crate) bureau: Option<JurisdictionNameOut>,
    /// Police station (派出所).
    pub(crate) station: Option<JurisdictionNameOut>,
    /// Community or village (社区/村).
    pub(crate) community: Option<JurisdictionNameOut>,
    /// Grid (网格).
    pub(crate) grid: Option<JurisdictionNameOut>,
}

impl JurisdictionsAtOut {
    /// The named chain of a resolved place.
    pub fn new(tree: &dispatch::Jurisdictions, place: &dispatch::Place) -> JurisdictionsAtOut {
        let name = |id: &Option<String>| {
            id.as_deref()
                .and_then(|id| tree.get(id))
                .map(|j| JurisdictionNameOut {
                    id: j.id.clone(),
                    name_zh: j.name_zh.clone(),
                    name_en: j.name_en.clone(),
                })
        };
        JurisdictionsAtOut {
            bureau: name(&place.bureau_id),
            station: name(&place.station_id),
            community: name(&place.community_id),
            grid: name(&place.grid_id),
        }
    }
}

// ---------------------------------------------------------------- analysis

/// What one hotspot feature counts: a grid cell, an H3 hexagon or a road.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum HotspotProperties {
    /// A grid cell with its Gi* (z, p, FDR q; null where undefined) and density.
    Cell {
        count: u32,
        z: Option<f64>,
        p: Option<f64>,
        q: Option<f64>,
        density_per_km2: f64,
    },
    /// An H3 hexagon.
    Hexagon { h3: String, count: u32 },
    /// A road segment, with incidents per kilometre.
    Road { road: u32, count: u32, per_km: f64 },
}

/// Global Moran's I of the grid.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoranOut {
    pub(crate) i: f64,
    /// -1 / (n - 1).
    pub(crate) expected: f64,
    pub(crate) z_norm: f64,
    pub(crate) p_norm: f64,
    pub(crate) z_rand: f64,
    pub(crate) p_rand: f64,
    /// Cells.
    pub(crate) n: usize,
}

impl From<analysis::hotspot::Moran> for MoranOut {
    fn from(m: analysis::hotspot::Moran) -> MoranOut {
        let analysis::hotspot::Moran {
            i,
            expected,
            z_norm,
            p_norm,
            z_rand,
            p_rand,
            n,
        } = m;
        MoranOut {
            i,
            expected,
            z_norm,
            p_norm,
            z_rand,
            p_rand,
            n,
        }
    }
}

/// Hotspots as a GeoJSON FeatureCollection, with what the method adds.
#[derive(Debug, Serialize, ToSchema)]
pub struct HotspotsOut {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) features: Vec<Feature<HotspotProperties>>,
    /// Incidents selected.
    pub(crate) incidents: usize,
    pub(crate) method: String,
    /// Grid methods: the cell size, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cell: Option<f64>,
    /// Grid methods: cells in the grid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cells: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) moran: Option<MoranOut>,
    /// `h3`: the resolution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resolution: Option<u8>,
    /// `segments`: incidents farther than 100 m from any road.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) off_road: Option<usize>,
}

impl HotspotsOut {
    pub(crate) fn new(method: &str, incidents: usize) -> HotspotsOut {
        HotspotsOut {
            kind: FEATURE_COLLECTION,
            features: Vec::new(),
            incidents,
            method: method.into(),
            cell: None,
            cells: None,
            moran: None,
            resolution: None,
            off_road: None,
        }
    }
}

/// The Knox near-repeat test in the Near Repeat Calculator's layout: every
/// table is space bands (rows) by time bands (columns).
#[derive(Debug, Serialize, ToSchema)]
pub struct KnoxOut {
    pub(crate) rows: Vec<String>,
    pub(crate) columns: Vec<String>,
    pub(crate) observed: Vec<Vec<u64>>,
    /// Mean over the permutations.
    pub(crate) expected: Vec<Vec<f64>>,
    /// Observed / expected (null where expected is 0).
    pub(crate) knox_ratio: Vec<Vec<Option<f64>>>,
    pub(crate) p_value: Vec<Vec<f64>>,
    pub(crate) expected_min: Vec<Vec<u64>>,
    pub(crate) expected_max: Vec<Vec<u64>>,
    pub(crate) events: usize,
    pub(crate) pairs: u64,
    /// Pairs closer than the outermost space band.
    pub(crate) near_pairs: usize,
}

impl From<analysis::knox::KnoxResult> for KnoxOut {
    fn from(k: analysis::knox::KnoxResult) -> KnoxOut {
        let analysis::knox::KnoxResult {
            rows,
            columns,
            observed,
            expected,
            knox_ratio,
            p_value,
            expected_min,
            expected_max,
            events,
            pairs,
            near_pairs,
        } = k;
        KnoxOut {
            rows,
            columns,
            observed,
            expected,
            knox_ratio,
            p_value,
            expected_min,
            expected_max,
            events,
            pairs,
            near_pairs,
        }
    }
}

/// One group's count against a comparison period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    /// Kind code, station id or `all`.
    pub(crate) key: String,
    pub(crate) current: u64,
    pub(crate) previous: u64,
    /// Per-day change, percent (null when the comparison period had none).
    pub(crate) change_pct: Option<f64>,
    /// Two-sided Poisson test of the difference.
    pub(crate) p_value: f64,
}

impl From<&analysis::trends::Change> for ChangeOut {
    fn from(c: &analysis::trends::Change) -> ChangeOut {
        ChangeOut {
            key: c.key.clone(),
            current: c.current,
            previous: c.previous,
            change_pct: c.change_pct,
            p_value: c.p_value,
        }
    }
}

/// Counts against the period before and the same period a year before.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendsOut {
    pub(crate) period: String,
    pub(crate) previous_period: String,
    pub(crate) year_before: String,
    pub(crate) period_on_period: Vec<ChangeOut>,
    pub(crate) year_on_year: Vec<ChangeOut>,
    /// Seven rows (Monday first) of 24 hourly counts, local time.
    pub(crate) hour_by_weekday: Vec<Vec<u64>>,
}

/// A forecast cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastProperties {
    /// 1 = hottest.
    pub(crate) rank: usize,
    pub(crate) score: f64,
    /// Incidents in the cell over the past year.
    pub(crate) past_year: u32,
}

/// Next week's hot cells as a GeoJSON FeatureCollection.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastOut {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) features: Vec<Feature<ForecastProperties>>,
    /// Cell size, metres (absent when no incident was selected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cell: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) share_of_area: Option<&'static str>,
}

// ---------------------------------------------------------------- coverage

/// How long one area takes to reach.
#[derive(Debug, Serialize, ToSchema)]
pub struct IsochroneProperties {
    pub(crate) minutes: f64,
    pub(crate) seconds: f64,
}

/// The areas reachable within each limit, as a GeoJSON FeatureCollection.
#[derive(Debug, Serialize, ToSchema)]
pub struct IsochronesOut {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) features: Vec<Feature<IsochroneProperties>>,
}

impl From<&roads::Isochrones> for IsochronesOut {
    fn from(iso: &roads::Isochrones) -> IsochronesOut {
        let features = iso.areas.iter().map(|a| {
            let minutes = a.limit_ms as f64 / 60_000.0;
            let seconds = a.limit_ms as f64 / 1000.0;
            Feature::new(
                Geometry::area(&a.area),
                IsochroneProperties { minutes, seconds },
            )
        });
        IsochronesOut {
            kind: FEATURE_COLLECTION,
            features: features.collect(),
        }
    }
}

/// Demand of one station or community and the share of it reached.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageRowOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) station_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) community_id: Option<String>,
    pub(crate) total_weight: f64,
    /// Weight reached within each limit, by minutes.
    pub(crate) covered: BTreeMap<String, f64>,
}

/// A plan's coverage; an optimised plan adds its bound and the plan before.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageOut {
    /// Demand weight reached within each limit (cumulative), by minutes.
    pub(crate) covered: BTreeMap<String, f64>,
    pub(crate) total_weight: f64,
    /// Weight reached by two sites or more within the last limit.
    pub(crate) backup: f64,
    pub(crate) score: f64,
    /// The plan's sites, `[lat, lon]`.
    pub(crate) sites: Vec<[f64; 2]>,
    pub(crate) by_station: Vec<CoverageRowOut>,
    pub(crate) by_community: Vec<CoverageRowOut>,
    /// Each demand point: `[lat, lon, weight, minutes of its best limit or null]`.
    #[schema(value_type = Vec<Vec<f64>>)]
    pub(crate) demand: Vec<(f64, f64, f64, Option<f64>)>,
    /// Demand points not reached within the last limit.
    pub(crate) uncovered: usize,
    /// Optimised: no plan scores more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) upper_bound: Option<f64>,
    /// Optimised: score / upper bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proven_ratio: Option<f64>,
    /// Optimised: the sites given, evaluated the same way.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub(crate) before: Option<Box<CoverageOut>>,
}

// ---------------------------------------------------------------- assessment

/// An indicator of the station assessment (考核).
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorOut {
    pub(crate) id: String,
    pub(crate) name_zh: String,
    pub(crate) name_en: String,
    /// Over metrics: names, numbers, `+ - * /`, parentheses.
    pub(crate) formula: String,
    pub(crate) weight: f64,
    /// Full marks at or beyond it.
    pub(crate) target: f64,
    /// `share`, `days_per_week`, `count` or `hours`.
    pub(crate) unit: String,
    pub(crate) applies_to: String,
    pub(crate) lower_is_better: bool,
}

impl From<&community::assessment::Indicator> for IndicatorOut {
    fn from(i: &community::assessment::Indicator) -> IndicatorOut {
        let i = i.clone();
        let community::assessment::Indicator {
            id,
            name_zh,
            name_en,
            formula,
            weight,
            target,
            unit,
            applies_to,
            lower_is_better,
        } = i;
        IndicatorOut {
            id,
            name_zh,
            name_en,
            formula,
            weight,
            target,
            unit,
            applies_to,
            lower_is_better,
        }
    }
}

/// The indicators of a catalogue, in display order.
pub(crate) fn indicators(c: &community::assessment::Catalogue) -> Vec<IndicatorOut> {
    c.indicator.iter().map(IndicatorOut::from).collect()
}

/// A metric formulas may use.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricNameOut {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
}

/// The catalogue: indicators, their TOML and the metrics.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueOut {
    pub(crate) indicators: Vec<IndicatorOut>,
    pub(crate) toml: String,
    pub(crate) metrics: Vec<MetricNameOut>,
}

/// A catalogue as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorsOut {
    pub(crate) indicators: Vec<IndicatorOut>,
}

/// One indicator of one station.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreOut {
    pub(crate) indicator: String,
    /// The formula's value (null: no data).
    pub(crate) value: Option<f64>,
    /// Share of the target reached, 0..1.
    pub(crate) achievement: Option<f64>,
    /// weight x achievement.
    pub(crate) points: Option<f64>,
    /// The metric values the formula used.
    pub(crate) inputs: BTreeMap<String, f64>,
}

impl From<&community::assessment::Score> for ScoreOut {
    fn from(s: &community::assessment::Score) -> ScoreOut {
        ScoreOut {
            indicator: s.indicator.clone(),
            value: s.value,
            achievement: s.achievement,
            points: s.points,
            inputs: s.inputs.clone(),
        }
    }
}

/// One station's scores, total and rank.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentRowOut {
    pub(crate) station_id: String,
    pub(crate) name: String,
    /// Per indicator, in catalogue order.
    pub(crate) scores: Vec<ScoreOut>,
    /// 0..100 over the indicators with data.
    pub(crate) total: f64,
    /// 1 = best; ties share a rank.
    pub(crate) rank: usize,
}

impl From<&community::assessment::Row> for AssessmentRowOut {
    fn from(r: &community::assessment::Row) -> AssessmentRowOut {
        AssessmentRowOut {
            station_id: r.station_id.clone(),
            name: r.name.clone(),
            scores: r.scores.iter().map(ScoreOut::from).collect(),
            total: r.total,
            rank: r.rank,
        }
    }
}

/// Every station in scope scored, ranked.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentOut {
    pub(crate) period: String,
    pub(crate) indicators: Vec<IndicatorOut>,
    pub(crate) rows: Vec<AssessmentRowOut>,
}

/// A metric's value and the records counted in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricValueOut {
    pub(crate) value: f64,
    pub(crate) description: &'static str,
    /// Identifiers of the records counted.
    pub(crate) records: Vec<String>,
}

/// What one station's score on one indicator was computed from.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentSourceOut {
    pub(crate) period: String,
    pub(crate) station_id: String,
    pub(crate) station: String,
    pub(crate) indicator: IndicatorOut,
    pub(crate) score: ScoreOut,
    /// The metrics the formula uses, by name.
    pub(crate) metrics: BTreeMap<String, MetricValueOut>,
}

// ---------------------------------------------------------------- community figures

/// Transfers and leads of one station (or `all`).
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferFiguresOut {
    pub(crate) key: String,
    /// Made in the period.
    pub(crate) transferred: usize,
    pub(crate) accepted: usize,
    pub(crate) returned: usize,
    pub(crate) pending: usize,
    /// Pending past the decision target.
    pub(crate) overdue: usize,
    pub(crate) median_accept_minutes: Option<f64>,
    pub(crate) leads_provided: usize,
    pub(crate) leads_used: usize,
    /// With any feedback.
    pub(crate) leads_answered: usize,
}

impl From<&community::transfer::TransferFigures> for TransferFiguresOut {
    fn from(f: &community::transfer::TransferFigures) -> TransferFiguresOut {
        let community::transfer::TransferFigures {
            key,
            transferred,
            accepted,
            returned,
            pending,
            overdue,
            median_accept_minutes,
            leads_provided,
            leads_used,
            leads_answered,
        } = f.clone();
        TransferFiguresOut {
            key,
            transferred,
            accepted,
            returned,
            pending,
            overdue,
            median_accept_minutes,
            leads_provided,
            leads_used,
            leads_answered,
        }
    }
}

/// Disputes screened in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeFiguresOut {
    pub(crate) screened: usize,
    pub(crate) high_risk: usize,
    /// Settled by mediation.
    pub(crate) resolved: usize,
    pub(crate) resolved_within_7_days: usize,
    pub(crate) share_within_7_days: f64,
    pub(crate) escalated: usize,
    pub(crate) overdue_follow_ups: usize,
}

impl From<community::dispute::DisputeFigures> for DisputeFiguresOut {
    fn from(f: community::dispute::DisputeFigures) -> DisputeFiguresOut {
        DisputeFiguresOut {
            screened: f.screened,
            high_risk: f.high_risk,
            resolved: f.resolved,
            resolved_within_7_days: f.resolved_within_7_days,
            share_within_7_days: f.share_within_7_days,
            escalated: f.escalated,
            overdue_follow_ups: f.overdue_follow_ups,
        }
    }
}

/// One service ledger (365x24 service) over requests of the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceFiguresOut {
    /// Ledger kind.
    pub(crate) kind: String,
    pub(crate) registered: usize,
    pub(crate) closed: usize,
    pub(crate) closed_on_time: usize,
    /// Open past the target time.
    pub(crate) open_overdue: usize,
    pub(crate) median_hours_to_close: Option<f64>,
    pub(crate) target_hours: Option<u32>,
}

impl From<&community::ledgers::ServiceFigures> for ServiceFiguresOut {
    fn from(f: &community::ledgers::ServiceFigures) -> ServiceFiguresOut {
        let s = f.clone();
        ServiceFiguresOut {
            kind: s.kind,
            registered: s.registered,
            closed: s.closed,
            closed_on_time: s.closed_on_time,
            open_overdue: s.open_overdue,
            median_hours_to_close: s.median_hours_to_close,
            target_hours: s.target_hours,
        }
    }
}

/// Community policing's figures of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityFiguresOut {
    pub(crate) period: String,
    pub(crate) total: TransferFiguresOut,
    pub(crate) by_station: Vec<TransferFiguresOut>,
    pub(crate) disputes: DisputeFiguresOut,
    pub(crate) service: Vec<ServiceFiguresOut>,
}

/// 1+X+N staffing of one area (`all` for the total).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffingRowOut {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) communities: usize,
    /// With a community officer (the "1").
    pub(crate) with_officer: usize,
    pub(crate) officers_in_committee: usize,
    /// The "X".
    pub(crate) auxiliaries: i64,
    /// The "N".
    pub(crate) grid_workers: i64,
    pub(crate) volunteer_teams: usize,
    pub(crate) volunteers: i64,
    pub(crate) officers_logging: usize,
    pub(crate) mean_days_per_week: f64,
    pub(crate) meeting_target: usize,
}

impl From<&community::staffing::StaffingRow> for StaffingRowOut {
    fn from(r: &community::staffing::StaffingRow) -> StaffingRowOut {
        let community::staffing::StaffingRow {
            id,
            name,
            communities,
            with_officer,
            officers_in_committee,
            auxiliaries,
            grid_workers,
            volunteer_teams,
            volunteers,
            officers_logging,
            mean_days_per_week,
            meeting_target,
        } = r.clone();
        StaffingRowOut {
            id,
            name,
            communities,
            with_officer,
            officers_in_committee,
            auxiliaries,
            grid_workers,
            volunteer_teams,
            volunteers,
            officers_logging,
            mean_days_per_week,
            meeting_target,
        }
    }
}

/// One officer's community days in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfficerDaysOut {
    pub(crate) officer: String,
    pub(crate) station_id: String,
    pub(crate) communities: Vec<String>,
    pub(crate) days: usize,
    pub(crate) per_week: f64,
    pub(crate) meets_target: bool,
}

impl From<&community::staffing::OfficerDays> for OfficerDaysOut {
    fn from(d: &community::staffing::OfficerDays) -> OfficerDaysOut {
        OfficerDaysOut {
            officer: d.officer.clone(),
            station_id: d.station_id.clone(),
            communities: d.communities.clone(),
            days: d.days,
            per_week: d.per_week,
            meets_target: d.meets_target,
        }
    }
}

/// Staffing and community days of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffingOut {
    pub(crate) period: String,
    /// Days of the period up to today.
    pub(crate) days_counted: i64,
    pub(crate) target_days_per_week: f64,
    pub(crate) total: StaffingRowOut,
    pub(crate) by_station: Vec<StaffingRowOut>,
    pub(crate) officers: Vec<OfficerDaysOut>,
}

/// Police office (警务室) coverage of one area (`all` for the total).
#[derive(Debug, Serialize, ToSchema)]
pub struct OfficeCoverageOut {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) communities: usize,
    pub(crate) with_office: usize,
    pub(crate) share: f64,
    pub(crate) offices: usize,
    /// Sharing the village committee's office.
    pub(crate) co_located: usize,
    pub(crate) co_located_share: f64,
    /// Offices by class (1, 2, 3).
    pub(crate) by_class: BTreeMap<String, usize>,
    pub(crate) staff: u32,
    /// Community ids.
    pub(crate) without_office: Vec<String>,
}

impl From<&community::OfficeCoverage> for OfficeCoverageOut {
    fn from(c: &community::OfficeCoverage) -> OfficeCoverageOut {
        let c = c.clone();
        OfficeCoverageOut {
            id: c.id,
            name: c.name,
            communities: c.communities,
            with_office: c.with_office,
            share: c.share,
            offices: c.offices,
            co_located: c.co_located,
            co_located_share: c.co_located_share,
            by_class: c
                .by_class
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect(),
            staff: c.staff,
            without_office: c.without_office,
        }
    }
}

/// Office coverage in total, by bureau and by station.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfficeCoverageReportOut {
    pub(crate) total: OfficeCoverageOut,
    pub(crate) by_bureau: Vec<OfficeCoverageOut>,
    pub(crate) by_station: Vec<OfficeCoverageOut>,
}

impl From<&community::CoverageReport> for OfficeCoverageReportOut {
    fn from(r: &community::CoverageReport) -> OfficeCoverageReportOut {
        let rows =
            |v: &[community::OfficeCoverage]| v.iter().map(OfficeCoverageOut::from).collect();
        OfficeCoverageReportOut {
            total: OfficeCoverageOut::from(&r.total),
            by_bureau: rows(&r.by_bureau),
            by_station: rows(&r.by_station),
        }
    }
}

// ---------------------------------------------------------------- configuration

/// An incident kind of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindOut {
    pub(crate) code: String,
    pub(crate) name_zh: String,
    pub(crate) name_en: String,
    pub(crate) default_priority: u8,
    /// Tiered fan-out (1, 3 and 5-minute waves).
    pub(crate) serious: bool,
    /// Kinds a duplicate call may be filed under.
    pub(crate) compatible: Vec<String>,
}

/// What a response plan requires.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequirementOut {
    pub(crate) unit_kinds: Vec<&'static str>,
    pub(crate) count: u32,
    /// Reachable within, seconds (null: any time).
    pub(crate) within_s: Option<u32>,
}

/// Units a kind adds to the two-way dispatch at or above a priority.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOut {
    pub(crate) kind: String,
    pub(crate) max_priority: u8,
    pub(crate) requires: Vec<RequirementOut>,
}

/// Target seconds of each phase.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetsOut {
    pub(crate) call_to_dispatch: u32,
    pub(crate) dispatch_to_en_route: u32,
    pub(crate) en_route_to_on_scene: u32,
    pub(crate) on_scene_to_controlled: u32,
}

/// Two calls are possible duplicates within this distance and time.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateRuleOut {
    pub(crate) meters: f64,
    pub(crate) minutes: f64,
}

/// The signed-in user, as the dashboard shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigUserOut {
    pub(crate) username: String,
    pub(crate) role: String,
    pub(crate) scope: Option<String>,
    pub(crate) display_name: String,
}

/// The server's clock and the calendar it reports in.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockOut {
    /// RFC 3339.
    pub(crate) now: String,
    /// Local time's offset from UTC, minutes (UTC+8: 480).
    pub(crate) utc_offset_min: i64,
    /// Days into a month in which briefings still default to the month before.
    pub(crate) briefing_grace_days: u32,
    /// `YYYY-MM` or `YYYY-MM-DD..YYYY-MM-DD`.
    pub(crate) default_briefing: String,
}

/// What the dashboard needs before its first screen.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigOut {
    /// The user's stations' extent: `[min lon, min lat, max lon, max lat]`.
    pub(crate) bounds: [f64; 4],
    pub(crate) user: ConfigUserOut,
    pub(crate) agency: String,
    pub(crate) agency_name: String,
    pub(crate) kinds: Vec<KindOut>,
    pub(crate) plans: Vec<PlanOut>,
    pub(crate) targets: TargetsOut,
    pub(crate) duplicate: DuplicateRuleOut,
    pub(crate) unit_kinds: Vec<&'static str>,
    pub(crate) unit_statuses: Vec<&'static str>,
    pub(crate) statuses: Vec<&'static str>,
    pub(crate) roles: Vec<&'static str>,
    pub(crate) clock: ClockOut,
}

impl ConfigOut {
    /// The dispatch configuration's part of the answer.
    pub(crate) fn new(
        c: &dispatch::Config,
        (agency, agency_name): (String, String),
        bounds: [f64; 4],
        user: ConfigUserOut,
        clock: ClockOut,
    ) -> ConfigOut {
        let kinds = c.kinds.iter().map(|k| KindOut {
            code: k.code.clone(),
            name_zh: k.name_zh.clone(),
            name_en: k.name_en.clone(),
            default_priority: k.default_priority,
            serious: k.serious,
            compatible: k.compatible.clone(),
        });
        let requirement = |r: &dispatch::config::Requirement| RequirementOut {
            unit_kinds: r.unit_kinds.iter().map(|k| k.as_str()).collect(),
            count: r.count,
            within_s: r.within_s,
        };
        let plans = c.plans.iter().map(|p| PlanOut {
            kind: p.kind.clone(),
            max_priority: p.max_priority,
            requires: p.requires.iter().map(requirement).collect(),
        });
        let t = &c.targets;
        ConfigOut {
            bounds,
            user,
            agency,
            agency_name,
            kinds: kinds.collect(),
            plans: plans.collect(),
            targets: TargetsOut {
                call_to_dispatch: t.call_to_dispatch,
                dispatch_to_en_route: t.dispatch_to_en_route,
                en_route_to_on_scene: t.en_route_to_on_scene,
                on_scene_to_controlled: t.on_scene_to_controlled,
            },
            duplicate: DuplicateRuleOut {
                meters: c.duplicate.meters,
                minutes: c.duplicate.minutes,
            },
            unit_kinds: dispatch::UnitKind::ALL.iter().map(|k| k.as_str()).collect(),
            unit_statuses: dispatch::UnitStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect(),
            statuses: dispatch::IncidentStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect(),
            roles: app::auth::ROLES.to_vec(),
            clock,
        }
    }
}

// ---------------------------------------------------------------- ledgers and registers

/// A register of personal data: why it is kept, for how long.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterOut {
    /// Record kind.
    pub(crate) kind: &'static str,
    pub(crate) legal_basis: &'static str,
    pub(crate) purpose: &'static str,
    /// Days a record is kept after its last update.
    pub(crate) retention_days: u32,
}

impl From<&community::ledger::Register> for RegisterOut {
    fn from(r: &community::ledger::Register) -> RegisterOut {
        let community::ledger::Register {
            kind,
            legal_basis,
            purpose,
            retention_days,
        } = *r;
        RegisterOut {
            kind,
            legal_basis,
            purpose,
            retention_days,
        }
    }
}

/// What a field's value must be: `type` and, by type, its bounds or options.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct FieldKindOut {
    /// text, id_number, phone, date, choice, int, bool, people or teams.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    /// text: longest accepted; int: largest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<i64>,
    /// int: smallest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<i64>,
    /// choice: the codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) options: Option<&'static [&'static str]>,
}

impl From<community::ledgers::FieldKind> for FieldKindOut {
    fn from(k: community::ledgers::FieldKind) -> FieldKindOut {
        use community::ledgers::FieldKind as K;
        let of = |kind| FieldKindOut {
            kind,
            ..Default::default()
        };
        match k {
            K::Text { max } => FieldKindOut {
                max: Some(max as i64),
                ..of("text")
            },
            K::IdNumber => of("id_number"),
            K::Phone => of("phone"),
            K::Date => of("date"),
            K::Choice { options } => FieldKindOut {
                options: Some(options),
                ..of("choice")
            },
            K::Int { min, max } => FieldKindOut {
                min: Some(min),
                max: Some(max),
                ..of("int")
            },
            K::Bool => of("bool"),
            K::People => of("people"),
            K::Teams => of("teams"),
        }
    }
}

/// A field of a ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldOut {
    pub(crate) name: &'static str,
    pub(crate) kind: FieldKindOut,
    pub(crate) required: bool,
    /// What lists show: `yes`, `masked` or `no`.
    pub(crate) shown: &'static str,
}

/// An action of a ledger's workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionOut {
    pub(crate) name: &'static str,
    /// Statuses it may be taken from.
    pub(crate) from: &'static [&'static str],
    /// Status after it (null: unchanged).
    pub(crate) to: Option<&'static str>,
    pub(crate) needs_note: bool,
    /// The result must be one of these (empty: no result).
    pub(crate) results: &'static [&'static str],
    /// Links to another record of this kind.
    pub(crate) links: Option<&'static str>,
    /// Sets the next due date this many days ahead (0 clears it).
    pub(crate) due_days: Option<u32>,
    pub(crate) unlinks: bool,
    /// Taken on the linked record too.
    pub(crate) both_sides: bool,
}

/// A ledger's statuses, actions and timers.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowOut {
    pub(crate) initial: &'static str,
    pub(crate) closed: &'static [&'static str],
    pub(crate) actions: Vec<ActionOut>,
    pub(crate) close_within_hours: Option<u32>,
    pub(crate) first_due_days: Option<u32>,
}

impl From<&community::ledgers::Workflow> for WorkflowOut {
    fn from(w: &community::ledgers::Workflow) -> WorkflowOut {
        let action = |a: &community::ledgers::Action| {
            let community::ledgers::Action {
                name,
                from,
                to,
                needs_note,
                results,
                links,
                due_days,
                unlinks,
                both_sides,
            } = *a;
            ActionOut {
                name,
                from,
                to,
                needs_note,
                results,
                links,
                due_days,
                unlinks,
                both_sides,
            }
        };
        WorkflowOut {
            initial: w.initial,
            closed: w.closed,
            actions: w.actions.iter().map(action).collect(),
            close_within_hours: w.close_within_hours,
            first_due_days: w.first_due_days,
        }
    }
}

/// A register, and for a ledger its fields and workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerOut {
    pub(crate) register: RegisterOut,
    /// Full reads need a reason and are audited.
    pub(crate) personal: bool,
    /// Ledgers: at most one record per community.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) one_per_community: Option<bool>,
    /// Ledgers: part of the 365x24 service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) service: Option<bool>,
    /// Ledgers: the fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fields: Option<Vec<FieldOut>>,
    /// Ledgers: the workflow (null: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) workflow: Option<Option<WorkflowOut>>,
}

impl LedgerOut {
    /// A register that is not a ledger (key persons, disputes).
    pub(crate) fn register(r: &community::ledger::Register) -> LedgerOut {
        LedgerOut {
            register: r.into(),
            personal: true,
            one_per_community: None,
            service: None,
            fields: None,
            workflow: None,
        }
    }
}

impl From<&community::ledgers::Ledger> for LedgerOut {
    fn from(l: &community::ledgers::Ledger) -> LedgerOut {
        let shown = |s| match s {
            community::ledgers::Shown::Yes => "yes",
            community::ledgers::Shown::Masked => "masked",
            community::ledgers::Shown::No => "no",
        };
        let field = |f: &community::ledgers::Field| FieldOut {
            name: f.name,
            kind: f.kind.into(),
            required: f.required,
            shown: shown(f.shown),
        };
        LedgerOut {
            register: (&l.register).into(),
            personal: l.personal,
            one_per_community: Some(l.one_per_community),
            service: Some(l.service),
            fields: Some(l.fields.iter().map(field).collect()),
            workflow: Some(l.workflow.as_ref().map(WorkflowOut::from)),
        }
    }
}

/// A line of an import that was refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineErrorOut {
    /// 1 = the header.
    pub(crate) line: usize,
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

/// The error envelope of a refused import, with every bad line.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRefusedOut {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// The first bad line's field (`csv` when none).
    pub(crate) field: String,
    pub(crate) errors: Vec<LineErrorOut>,
}

impl ImportRefusedOut {
    pub(crate) fn new(
        code: &'static str,
        message: String,
        errors: Vec<LineErrorOut>,
    ) -> ImportRefusedOut {
        ImportRefusedOut {
            code,
            message,
            field: errors
                .first()
                .and_then(|e| e.field.clone())
                .unwrap_or_else(|| "csv".into()),
            errors,
        }
    }
}

impl From<&community::ledgers::LineError> for LineErrorOut {
    fn from(e: &community::ledgers::LineError) -> LineErrorOut {
        LineErrorOut {
            line: e.line,
            field: e.field.clone(),
            message: e.message.clone(),
        }
    }
}

impl From<&places::import::LineError> for LineErrorOut {
    fn from(e: &places::import::LineError) -> LineErrorOut {
        LineErrorOut {
            line: e.line as usize,
            field: Some(e.field.clone()),
            message: e.message.clone(),
        }
    }
}

/// A place file imported: how many places of the kind, and in the index.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacesImportedOut {
    /// `standard_address` or `marker`.
    pub(crate) kind: &'static str,
    pub(crate) imported: usize,
    /// Places the index holds now.
    pub(crate) places: usize,
}

// ---------------------------------------------------------------- the live feed

/// A message of the live feed (`/api/v1/feed`), by `type`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum FeedOut {
    /// The first message.
    Hello {
        user: String,
        scope: Option<String>,
        at: String,
    },
    /// The console missed messages: reload its state.
    Resync {
        missed: u64,
    },
    /// An incident as of event `seq` (drop it when older than what you hold).
    Incident {
        seq: Option<i64>,
        incident: Box<IncidentOut>,
    },
    /// A unit as of event `seq`.
    Unit {
        seq: Option<i64>,
        unit: UnitOut,
    },
    Event {
        seq: i64,
        event: EventOut,
    },
    /// Every unit in scope: `[unit_id, lat, lon, status]`.
    Positions {
        #[schema(value_type = Vec<Vec<String>>)]
        units: Vec<(String, f64, f64, &'static str)>,
    },
    /// To a unit's terminal: a new order (acknowledge it; after a
    /// reconnect, `GET /api/v1/units/{id}/orders?after=` the last seq held).
    Order {
        order: OrderOut,
    },
}

/// A replacement stored for the next start.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredOut {
    /// Records stored.
    pub(crate) stored: usize,
    pub(crate) applies: &'static str,
}

/// One place found: a search or reverse answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoundPlaceOut {
    /// The places index's key: give it as `place_id` to locate a call by it.
    pub(crate) id: String,
    pub(crate) label: String,
    /// `address`, `street`, `intersection`, `place`, `poi`, `community`,
    /// `station`, `marker` or `standard_address`.
    pub(crate) kind: &'static str,
    /// WGS-84.
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    /// Reverse: metres from the point asked about; search with `near`: from there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) meters: Option<f64>,
    /// Search: typos forgiven in the match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) edits: Option<u8>,
    /// The position is estimated (a house number interpolated between
    /// tagged ones), not surveyed.
    pub(crate) approximate: bool,
    /// The police station responsible for the place.
    pub(crate) station_id: Option<String>,
    /// Its name.
    pub(crate) station: Option<String>,
    /// Community or village (社区/村).
    pub(crate) community_id: Option<String>,
    /// Its name.
    pub(crate) community: Option<String>,
    pub(crate) grid_id: Option<String>,
}

/// How a coordinate reads in one datum: where it lands and how far that is
/// from the nearest street (a fix labelled WGS-84 may be GCJ-02).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingOut {
    /// The datum the coordinate is read in.
    pub(crate) datum: &'static str,
    /// The point in WGS-84.
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    /// Metres to the nearest named street.
    pub(crate) street_m: Option<f64>,
}

/// Places found, best (search) or nearest (reverse) first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacesOut {
    pub(crate) results: Vec<FoundPlaceOut>,
    /// Reverse: the jurisdiction of the point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) jurisdiction: Option<JurisdictionsAtOut>,
    /// Reverse in another datum: the point read as given and read as
    /// WGS-84, with which lands nearer a street.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) readings: Vec<ReadingOut>,
}

impl PlacesOut {
    /// Just the places.
    pub(crate) fn found(results: Vec<FoundPlaceOut>) -> PlacesOut {
        PlacesOut {
            results,
            jurisdiction: None,
            readings: Vec::new(),
        }
    }
}

/// An earlier or open incident at a place.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyIncidentOut {
    pub(crate) id: i64,
    pub(crate) kind: String,
    pub(crate) status: &'static str,
    /// When the call was taken (RFC 3339).
    pub(crate) created_at: String,
    /// Straight-line metres from the place.
    pub(crate) meters: f64,
    pub(crate) address: Option<String>,
}

/// A regulated venue (治安管理场所) registered at the place.
#[derive(Debug, Serialize, ToSchema)]
pub struct VenueAtOut {
    pub(crate) id: String,
    pub(crate) name: String,
    /// `hotel`, `internet_cafe`, `entertainment` or `other`.
    pub(crate) category: String,
    pub(crate) address: String,
}

/// A place's history at call entry (研判比对): earlier incidents at it,
/// open ones near it, and the registries' caution flags.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceHistoryOut {
    /// The place looked at (WGS-84).
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    pub(crate) label: Option<String>,
    pub(crate) radius_m: f64,
    pub(crate) days: u32,
    /// Earlier incidents within `radius_m` over `days`, newest first (at most 20).
    pub(crate) prior: Vec<NearbyIncidentOut>,
    /// How many there were (`prior` lists the newest).
    pub(crate) prior_count: usize,
    /// Open incidents within `open_radius_m`, nearest first.
    pub(crate) open_nearby: Vec<NearbyIncidentOut>,
    pub(crate) open_radius_m: f64,
    /// Regulated venues registered at the place's address.
    pub(crate) venues: Vec<VenueAtOut>,
    /// Key persons (重点人员) registered at the place's address: a count,
    /// no personal data.
    pub(crate) key_persons: usize,
    /// The place's standard-address code (标准地址编码), when it is one.
    pub(crate) address_code: Option<String>,
    /// How many records of each register are at that standard address
    /// (residents, rentals, ...), registers in order; the identity check
    /// with `address_code` lists them, audited.
    pub(crate) registered: Vec<RegisteredAtOut>,
}

/// How many records of a register are at a standard address.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredAtOut {
    /// The register: `resident`, `rental_housing`, `floating_population`, `venue`, ...
    pub(crate) register: String,
    pub(crate) count: i64,
}

/// One turn-by-turn step of a route.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteStepOut {
    /// `depart`, `straight`, `slight_left`, `left`, `sharp_left`,
    /// `slight_right`, `right`, `sharp_right`, `uturn` or `arrive`.
    pub(crate) turn: &'static str,
    /// What to do, for a person: "Turn left onto Rua X", "左转进入建国路".
    pub(crate) instruction: String,
    /// The street's name (`null`: an unnamed road).
    pub(crate) street: Option<String>,
    /// Metres on this street.
    pub(crate) meters: f64,
    /// Seconds on this street.
    pub(crate) seconds: f64,
    /// Where the manoeuvre is.
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    /// Heading after it, degrees clockwise from north.
    pub(crate) bearing: f64,
}

/// The fastest route between two points, with its steps.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteOut {
    pub(crate) seconds: f64,
    pub(crate) meters: f64,
    /// GeoJSON LineString, start to destination.
    pub(crate) geometry: geo::Geometry,
    pub(crate) steps: Vec<RouteStepOut>,
}

impl RouteOut {
    /// The plan, its instructions in `lang`.
    pub(crate) fn new(p: app::routes::RoutePlan, lang: app::routes::Lang) -> RouteOut {
        let round = |x: f64, k: f64| (x * k).round() / k;
        RouteOut {
            seconds: round(p.seconds, 10.0),
            meters: round(p.meters, 10.0),
            geometry: geo::Geometry::LineString(
                p.geometry
                    .iter()
                    .map(|q| geo::Position([q.lon, q.lat]))
                    .collect(),
            ),
            steps: p
                .steps
                .into_iter()
                .map(|s| RouteStepOut {
                    instruction: app::routes::instruction(&s, lang),
                    turn: s.turn.as_str(),
                    street: s.street.map(|n| n.to_string()),
                    meters: round(s.meters, 10.0),
                    seconds: round(s.seconds, 10.0),
                    lat: round(s.at.lat, 1e7),
                    lon: round(s.at.lon, 1e7),
                    bearing: round(s.bearing, 1.0),
                })
                .collect(),
        }
    }
}

/// An order to a unit: a dispatch, a release or a message, with its
/// sequence number.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderOut {
    /// Increasing per unit: ask `after=` the last one seen.
    pub(crate) seq: i64,
    pub(crate) incident_id: Option<i64>,
    /// `dispatch`, `release`, `reinforcement` (the answer to the unit's
    /// request: `units` are on their way) or `message`.
    pub(crate) kind: &'static str,
    /// When it was issued (RFC 3339).
    pub(crate) issued_at: String,
    /// When it first reached the terminal (RFC 3339; null until then).
    pub(crate) delivered_at: Option<String>,
    /// When the terminal acknowledged it (RFC 3339; null until then).
    pub(crate) acked_at: Option<String>,
    /// A message's text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) text: Option<String>,
    /// A reinforcement answer's units on their way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) units: Vec<String>,
}

impl From<&store::OrderRecord> for OrderOut {
    fn from(o: &store::OrderRecord) -> OrderOut {
        OrderOut {
            seq: o.seq,
            incident_id: o.incident_id,
            kind: match o.kind.as_str() {
                "unit_released" => "release",
                "reinforcement_answered" => "reinforcement",
                "message_to_unit" => "message",
                _ => "dispatch",
            },
            issued_at: format_rfc3339(o.at),
            delivered_at: o.delivered_at.map(format_rfc3339),
            acked_at: o.acked_at.map(format_rfc3339),
            text: o.text.clone(),
            units: o.units.clone(),
        }
    }
}

/// A unit's orders, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrdersOut {
    pub(crate) orders: Vec<OrderOut>,
}
