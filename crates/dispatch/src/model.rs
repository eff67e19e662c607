//! The domain: units, incidents, their statuses and the events that change them.

use serde::{Deserialize, Serialize};

use crate::time::Millis;
pub use roads::LatLon;

/// Incident identifier (a number a dispatcher can read out on the radio).
pub type IncidentId = i64;
/// Unit identifier, e.g. `P-S0301-1`.
pub type UnitId = String;

/// Where an incident is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// The call is taken; nobody sent yet.
    Received,
    /// At least one unit has the order.
    Dispatched,
    /// A unit is driving there.
    EnRoute,
    /// A unit is at the scene.
    OnScene,
    /// The situation is under control (the report's "target controlled").
    Controlled,
    /// Done.
    Closed,
    /// Withdrawn (false alarm, caller hung up and was reached, ...).
    Cancelled,
    /// Folded into another incident (a duplicate call).
    Merged,
}

impl IncidentStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [IncidentStatus; 8] = [
        Self::Received,
        Self::Dispatched,
        Self::EnRoute,
        Self::OnScene,
        Self::Controlled,
        Self::Closed,
        Self::Cancelled,
        Self::Merged,
    ];

    /// The API spelling (`en_route`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Dispatched => "dispatched",
            Self::EnRoute => "en_route",
            Self::OnScene => "on_scene",
            Self::Controlled => "controlled",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
            Self::Merged => "merged",
        }
    }

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Closed, cancelled and merged incidents are finished.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Cancelled | Self::Merged)
    }

    /// The statuses this one may move to. Going back from dispatched to
    /// received happens when every unit is released.
    pub fn next(self) -> &'static [IncidentStatus] {
        use IncidentStatus::*;
        match self {
            Received => &[Dispatched, Cancelled, Merged],
            Dispatched => &[Received, EnRoute, OnScene, Cancelled, Merged],
            EnRoute => &[OnScene, Cancelled, Merged],
            OnScene => &[Controlled],
            Controlled => &[Closed],
            Closed | Cancelled | Merged => &[],
        }
    }
}

/// What kind of unit it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 巡逻车
    PatrolCar,
    /// Foot patrol (步巡).
    FootPatrol,
    /// Bicycle or motorcycle patrol.
    BikePatrol,
    /// The police station's duty team (值班组).
    StationDuty,
    /// 刑侦
    CriminalInvestigation,
    /// 禁毒
    Narcotics,
    /// 交警
    Traffic,
    /// 特警
    SpecialPolice,
}

impl UnitKind {
    /// Every kind.
    pub const ALL: [UnitKind; 8] = [
        Self::PatrolCar,
        Self::FootPatrol,
        Self::BikePatrol,
        Self::StationDuty,
        Self::CriminalInvestigation,
        Self::Narcotics,
        Self::Traffic,
        Self::SpecialPolice,
    ];

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PatrolCar => "patrol_car",
            Self::FootPatrol => "foot_patrol",
            Self::BikePatrol => "bike_patrol",
            Self::StationDuty => "station_duty",
            Self::CriminalInvestigation => "criminal_investigation",
            Self::Narcotics => "narcotics",
            Self::Traffic => "traffic",
            Self::SpecialPolice => "special_police",
        }
    }

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Specialised units (专业警种) as opposed to patrol and station forces.
    pub fn is_specialised(self) -> bool {
        matches!(
            self,
            Self::CriminalInvestigation | Self::Narcotics | Self::Traffic | Self::SpecialPolice
        )
    }
}

/// A unit's availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// Free to be sent.
    Available,
    /// Has an order, not yet moving.
    Dispatched,
    /// Driving to the scene.
    EnRoute,
    /// At the scene.
    OnScene,
    /// Going back to its post or station.
    Returning,
    /// Not on shift.
    OffDuty,
}

impl UnitStatus {
    /// Every status.
    pub const ALL: [UnitStatus; 6] = [
        Self::Available,
        Self::Dispatched,
        Self::EnRoute,
        Self::OnScene,
        Self::Returning,
        Self::OffDuty,
    ];
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Dispatched => "dispatched",
            Self::EnRoute => "en_route",
            Self::OnScene => "on_scene",
            Self::Returning => "returning",
            Self::OffDuty => "off_duty",
        }
    }
    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// Has an incident.
    pub fn is_committed(self) -> bool {
        matches!(self, Self::Dispatched | Self::EnRoute | Self::OnScene)
    }
}

/// A patrol car, foot patrol, duty team or specialised unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Identifier.
    pub id: UnitId,
    /// Radio call sign.
    pub callsign: String,
    /// What it is.
    pub kind: UnitKind,
    /// The station (or bureau, for specialised units) it belongs to.
    pub home_station: String,
    /// Officers on board.
    pub crew: u32,
    /// Free-form capabilities (`armed`, `medical`, `k9`, ...).
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Availability.
    pub status: UnitStatus,
    /// Last known position.
    pub lat: f64,
    /// Last known position.
    pub lon: f64,
    /// When the position was reported.
    pub position_at: Millis,
    /// When its status last changed: the device's time when its terminal
    /// said (an answer older than this is refused).
    #[serde(default)]
    pub status_at: Millis,
    /// Who is on board, as the crew logged on to the terminal (its latest
    /// list; each change is an event).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crew_names: Vec<String>,
    /// The incident it is committed to.
    #[serde(default)]
    pub incident_id: Option<IncidentId>,
    /// The patrol post (巡防点) it waits at when free.
    #[serde(default)]
    pub post_id: Option<String>,
}

impl Unit {
    /// Its position.
    pub fn position(&self) -> LatLon {
        LatLon {
            lat: self.lat,
            lon: self.lon,
        }
    }
}

/// A fixed point where patrols wait (巡防点), for one shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// The station that staffs it.
    pub station_id: String,
    /// Position.
    pub lat: f64,
    /// Position.
    pub lon: f64,
    /// `day`, `night` or `all`.
    pub shift: String,
}

/// A village or community police office (警务室).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoliceOffice {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// The community or village it serves.
    pub community_id: String,
    /// Its police station.
    pub station_id: String,
    /// Position.
    pub lat: f64,
    /// Position.
    pub lon: f64,
    /// Class 1 (best equipped) to 3.
    pub class: u8,
    /// Officers and auxiliaries based there.
    pub staff: u32,
    /// Opening hours, e.g. `08:00-18:00`.
    pub hours: String,
    /// Shares the village committee's office (村两委).
    pub shares_committee_office: bool,
}

/// A caller of an incident (merging keeps every caller).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Caller {
    /// Name as given.
    pub name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// When the call came in.
    pub at: Millis,
}

/// How an incident's place was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationSource {
    /// Typed by the call taker: a search result picked, or free text.
    TypedAddress,
    /// A click on the map.
    MapClick,
    /// The caller's phone position.
    PhoneFix,
    /// An EIDO document from another centre.
    Eido,
    /// Reported by a unit on the road.
    FieldUnit,
    /// Coordinates as given (an API client, an import).
    #[default]
    Coordinates,
}

impl LocationSource {
    /// Every source.
    pub const ALL: [LocationSource; 6] = [
        Self::TypedAddress,
        Self::MapClick,
        Self::PhoneFix,
        Self::Eido,
        Self::FieldUnit,
        Self::Coordinates,
    ];
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TypedAddress => "typed_address",
            Self::MapClick => "map_click",
            Self::PhoneFix => "phone_fix",
            Self::Eido => "eido",
            Self::FieldUnit => "field_unit",
            Self::Coordinates => "coordinates",
        }
    }
    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where an incident is, as a record: how it was found and how sure it is.
/// The incident's `lat`/`lon` are always WGS-84; `datum` says what the
/// coordinates were given in before conversion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// The place was confirmed (a search result, a map click, a fix); an
    /// unverified location is listed for follow-up.
    pub verified: bool,
    /// How it was given.
    pub source: LocationSource,
    /// The datum the coordinates were given in (`wgs84`, `gcj02`, `bd09`).
    pub datum: String,
    /// Uncertainty, metres (a phone fix's accuracy).
    #[serde(default)]
    pub radius_m: Option<f64>,
    /// The place's name as found (a search result's label).
    #[serde(default)]
    pub label: Option<String>,
    /// The places index's key of that result.
    #[serde(default)]
    pub place_id: Option<String>,
    /// The standard address's code (标准地址编码) when the place found is
    /// one: how the registers' records at it are found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_code: Option<String>,
}

/// The jurisdiction chain of a place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// District or county bureau.
    pub bureau_id: Option<String>,
    /// Police station responsible for the place.
    pub station_id: Option<String>,
    /// Community or village.
    pub community_id: Option<String>,
    /// Grid cell.
    pub grid_id: Option<String>,
}

impl Place {
    /// Whether the jurisdiction `scope` contains this place.
    pub fn within(&self, scope: &str) -> bool {
        [
            &self.bureau_id,
            &self.station_id,
            &self.community_id,
            &self.grid_id,
        ]
        .into_iter()
        .any(|id| id.as_deref() == Some(scope))
    }
}

/// A unit sent to an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The unit.
    pub unit_id: UnitId,
    /// When it was sent.
    pub at: Millis,
    /// Its drive time at dispatch, seconds.
    pub eta_s: Option<f64>,
    /// When it was released (or reassigned away).
    #[serde(default)]
    pub released_at: Option<Millis>,
    /// The order that sent it: the `seq` of its `unit_dispatched` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_seq: Option<i64>,
    /// When the order reached its terminal (server time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Millis>,
    /// When its terminal acknowledged the order (server time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acked_at: Option<Millis>,
    /// The order went unacknowledged past the configured time (alerted once).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ack_overdue: bool,
}

/// An open incident close in space and time that may be the same event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateHint {
    /// The other incident.
    pub incident_id: IncidentId,
    /// Straight-line metres between the two.
    pub meters: f64,
    /// Minutes between the two calls.
    pub minutes: f64,
}

/// A 110 call and everything done about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Identifier.
    pub id: IncidentId,
    /// Kind code from the catalogue.
    pub kind: String,
    /// 1 (most urgent) to 4.
    pub priority: u8,
    /// Lifecycle status.
    pub status: IncidentStatus,
    /// Location as given.
    pub lat: f64,
    /// Location as given.
    pub lon: f64,
    /// Address text as given.
    pub address: Option<String>,
    /// Callers (more than one after a merge).
    pub callers: Vec<Caller>,
    /// Responsible jurisdictions.
    pub place: Place,
    /// When the call was received.
    pub created_at: Millis,
    /// When each status was first reached.
    #[serde(default)]
    pub reached: Vec<(IncidentStatus, Millis)>,
    /// Units sent, current and past.
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    /// Set when merged into another incident.
    #[serde(default)]
    pub merged_into: Option<IncidentId>,
    /// Incidents merged into this one.
    #[serde(default)]
    pub merged_from: Vec<IncidentId>,
    /// Possible duplicates flagged at intake.
    #[serde(default)]
    pub possible_duplicates: Vec<DuplicateHint>,
    /// Phases already flagged overdue.
    #[serde(default)]
    pub overdue: Vec<Phase>,
    /// Free-text description from the call taker.
    #[serde(default)]
    pub description: Option<String>,
    /// How the place was found (absent on incidents stored before it was kept).
    #[serde(default)]
    pub location: Option<Location>,
    /// Reinforcement requests from units here not yet answered by a dispatch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reinforcement_waiting: Vec<ReinforcementWait>,
}

/// A unit's reinforcement request waiting for its answer: the next units
/// sent to the incident are that answer, an order to the unit that asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReinforcementWait {
    /// The unit that asked.
    pub unit_id: UnitId,
    /// The request's event.
    pub request_seq: i64,
    /// How many more it asked for.
    pub count: u32,
}

impl Incident {
    /// Location.
    pub fn position(&self) -> LatLon {
        LatLon {
            lat: self.lat,
            lon: self.lon,
        }
    }
    /// When `status` was first reached.
    pub fn reached_at(&self, status: IncidentStatus) -> Option<Millis> {
        if status == IncidentStatus::Received {
            return Some(self.created_at);
        }
        self.reached
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, t)| *t)
    }
    /// Units currently sent (not released).
    pub fn active_units(&self) -> impl Iterator<Item = &Assignment> {
        self.assignments.iter().filter(|a| a.released_at.is_none())
    }
    /// Seconds from the call to the first unit on scene.
    pub fn response_s(&self) -> Option<f64> {
        Some((self.reached_at(IncidentStatus::OnScene)? - self.created_at) as f64 / 1000.0)
    }
}

/// A timed phase of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Call received → first unit dispatched.
    CallToDispatch,
    /// Dispatched → en route.
    DispatchToEnRoute,
    /// En route → on scene.
    EnRouteToOnScene,
    /// On scene → controlled.
    OnSceneToControlled,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 4] = [
        Self::CallToDispatch,
        Self::DispatchToEnRoute,
        Self::EnRouteToOnScene,
        Self::OnSceneToControlled,
    ];
    /// The statuses that start and end it.
    pub fn bounds(self) -> (IncidentStatus, IncidentStatus) {
        use IncidentStatus::*;
        match self {
            Self::CallToDispatch => (Received, Dispatched),
            Self::DispatchToEnRoute => (Dispatched, EnRoute),
            Self::EnRouteToOnScene => (EnRoute, OnScene),
            Self::OnSceneToControlled => (OnScene, Controlled),
        }
    }
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallToDispatch => "call_to_dispatch",
            Self::DispatchToEnRoute => "dispatch_to_en_route",
            Self::EnRouteToOnScene => "en_route_to_on_scene",
            Self::OnSceneToControlled => "on_scene_to_controlled",
        }
    }
}

/// What happened (the payload of an [`Event`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// A call became an incident.
    IncidentCreated {
        /// Kind code.
        kind: String,
        /// Priority.
        priority: u8,
        /// Location.
        lat: f64,
        /// Location.
        lon: f64,
    },
    /// The incident moved to a new status.
    StatusChanged {
        /// Before.
        from: IncidentStatus,
        /// After.
        to: IncidentStatus,
    },
    /// A unit was sent.
    UnitDispatched {
        /// Its drive time, seconds.
        eta_s: Option<f64>,
    },
    /// A unit was released from the incident.
    UnitReleased,
    /// A unit's own status changed.
    UnitStatusChanged {
        /// Before.
        from: UnitStatus,
        /// After.
        to: UnitStatus,
    },
    /// A unit on scene asked for reinforcement.
    ReinforcementRequested {
        /// How many more units were asked for (the reason is the note).
        #[serde(default = "one")]
        count: u32,
    },
    /// Possible duplicate calls.
    DuplicateFlagged {
        /// The other incidents.
        of: Vec<IncidentId>,
    },
    /// This incident was merged into another.
    MergedInto {
        /// The surviving incident.
        into: IncidentId,
    },
    /// Another incident was merged into this one.
    Absorbed {
        /// The merged incident.
        from: IncidentId,
    },
    /// A phase ran over its target.
    PhaseOverdue {
        /// Which phase.
        phase: Phase,
        /// Its target, seconds.
        target_s: u32,
    },
    /// A unit was added or changed by an administrator.
    UnitRegistered,
    /// The incident was imported from another system.
    Imported {
        /// Where from (the EIDO sender).
        source: String,
    },
    /// A dispatch order went unacknowledged past the configured time.
    OrderUnacknowledged {
        /// The order.
        order_seq: i64,
        /// Seconds it has waited.
        after_s: u32,
    },
    /// An order reached its unit's terminal (sent on its live feed or read
    /// by it).
    OrderDelivered {
        /// The order.
        order_seq: i64,
    },
    /// The dispatcher sent an order to its unit's terminal again.
    OrderResent {
        /// The order.
        order_seq: i64,
    },
    /// The answer to a unit's reinforcement request: the units sent (an
    /// order to the unit that asked).
    ReinforcementAnswered {
        /// The request's event.
        request_seq: i64,
        /// The units on their way.
        units: Vec<UnitId>,
    },
    /// A message from the command centre to a unit: an order of its own.
    MessageToUnit {
        /// What it says.
        text: String,
    },
    /// The crew logged on to the unit's terminal.
    CrewChanged {
        /// Who is on board.
        names: Vec<String>,
    },
    /// A unit filed a short report from the scene (its text and photos are
    /// kept with the incident, outside the event log).
    ReportFiled {
        /// The report.
        report_id: String,
    },
    /// A message from a unit's terminal to the command centre.
    MessageFromUnit {
        /// What it says.
        text: String,
    },
    /// A unit's terminal acknowledged an order (a dispatch or a release).
    OrderAcknowledged {
        /// The order: the `seq` of the event that gave it.
        order_seq: i64,
        /// The terminal's own time of the acknowledgement, if it said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_at: Option<Millis>,
    },
}

/// One append-only record: who did what, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Order of all events of an agency.
    pub seq: i64,
    /// Server time.
    pub at: Millis,
    /// User name or `simulator`/`system`.
    pub actor: String,
    /// The incident concerned.
    pub incident_id: Option<IncidentId>,
    /// The unit concerned.
    pub unit_id: Option<UnitId>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
    /// Free-text note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When the server received it, where `at` is the reporting device's
    /// own time (a terminal's answer sent after an outage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<Millis>,
}

/// The events that are orders to their unit (each acknowledged by its
/// terminal), by name: the store selects them by it.
pub const ORDER_EVENTS: [&str; 4] = [
    "unit_dispatched",
    "unit_released",
    "reinforcement_answered",
    "message_to_unit",
];

impl EventKind {
    /// Whether the event is an order to its unit: a dispatch (a reassign is
    /// a release and a dispatch), a release, a reinforcement answer or a
    /// message from the command centre.
    pub fn is_order(&self) -> bool {
        matches!(
            self,
            EventKind::UnitDispatched { .. }
                | EventKind::UnitReleased
                | EventKind::ReinforcementAnswered { .. }
                | EventKind::MessageToUnit { .. }
        )
    }
}

impl Event {
    /// The event's name (`status_changed`, ...).
    pub fn name(&self) -> &'static str {
        match self.kind {
            EventKind::IncidentCreated { .. } => "incident_created",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::UnitDispatched { .. } => "unit_dispatched",
            EventKind::UnitReleased => "unit_released",
            EventKind::UnitStatusChanged { .. } => "unit_status_changed",
            EventKind::ReinforcementRequested { .. } => "reinforcement_requested",
            EventKind::DuplicateFlagged { .. } => "duplicate_flagged",
            EventKind::MergedInto { .. } => "merged_into",
            EventKind::Absorbed { .. } => "absorbed",
            EventKind::PhaseOverdue { .. } => "phase_overdue",
            EventKind::UnitRegistered => "unit_registered",
            EventKind::Imported { .. } => "imported",
            EventKind::OrderAcknowledged { .. } => "order_acknowledged",
            EventKind::OrderUnacknowledged { .. } => "order_unacknowledged",
            EventKind::OrderDelivered { .. } => "order_delivered",
            EventKind::OrderResent { .. } => "order_resent",
            EventKind::MessageToUnit { .. } => "message_to_unit",
            EventKind::ReinforcementAnswered { .. } => "reinforcement_answered",
            EventKind::MessageFromUnit { .. } => "message_from_unit",
            EventKind::ReportFiled { .. } => "report_filed",
            EventKind::CrewChanged { .. } => "crew_changed",
        }
    }
}

/// One position fix from a unit's device, as kept in its track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// The unit.
    pub unit_id: UnitId,
    /// The device's time of the fix (the newest wins the unit's position).
    pub at: Millis,
    /// When the server received it.
    pub received_at: Millis,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Horizontal accuracy, metres.
    pub accuracy_m: Option<f64>,
    /// Ground speed, metres per second.
    pub speed_mps: Option<f64>,
    /// Course over ground, degrees clockwise from north.
    pub heading_deg: Option<f64>,
}

fn one() -> u32 {
    1
}
