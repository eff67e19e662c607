//! The typed wire format: what the API answers for incidents, units,
//! timeline events, errors and accounts, the bodies it reads, and
//! community policing's stored records (case transfers, leads, key persons,
//! disputes, ledger entries, police offices) in full and as lists show
//! them. The ledgers' `fields` are the user's data and go out as entered
//! (masked in summaries by the ledger's rules). Each type is built from
//! the engine's record by hand, field by field, so renaming a stored field
//! cannot change the API (nor the reverse); every instant is RFC 3339; each
//! one's schema goes into the OpenAPI document.

use ::community::dispute::{Dispute, DisputeSummary};
use ::community::ledger::{KeyPerson, KeyPersonSummary};
use ::community::ledgers::{Entry, EntrySummary};
use ::community::transfer::{Lead, Transfer, TransferStatus};
use dispatch::time::format_rfc3339;
use dispatch::{Config, Event, EventKind, Incident, IncidentStatus, NewIncident, Phase, Unit};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// A new 110 call, as the call taker enters it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewIncidentBody {
    /// Kind code from the catalogue (`GET /api/v1/config`).
    pub(crate) kind: String,
    /// 1 (most urgent) to 4; the kind's default when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 4)]
    pub(crate) priority: Option<u8>,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
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
    #[schema(value_type = Object)]
    pub(crate) details: serde_json::Map<String, serde_json::Value>,
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
    pub(crate) transfers: Vec<TransferOut>,
}

/// The leads of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadsOut {
    pub(crate) leads: Vec<LeadOut>,
}

/// The key persons register: its legal basis and the summaries.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyPersonsOut {
    /// The register (legal basis, purpose, retention).
    #[schema(value_type = Object)]
    pub(crate) register: serde_json::Value,
    pub(crate) key_persons: Vec<KeyPersonSummaryOut>,
}

/// The dispute ledger: its legal basis and the summaries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputesOut {
    /// The register (legal basis, purpose, retention).
    #[schema(value_type = Object)]
    pub(crate) register: serde_json::Value,
    pub(crate) disputes: Vec<DisputeSummaryOut>,
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
    #[schema(value_type = Object)]
    pub(crate) ledger: serde_json::Value,
    /// How many entries follow.
    pub(crate) total: usize,
    pub(crate) entries: Vec<EntrySummaryOut>,
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
