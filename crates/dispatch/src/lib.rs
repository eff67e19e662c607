//! Dispatch engine: what pingan knows about incidents and units, and what it
//! recommends. A 110 call becomes an [`Incident`]; [`Engine`] checks every
//! change against the lifecycle, stamps it with the time the caller passes,
//! and returns the changed records and append-only [`Event`]s for the store
//! to persist. Recommendations rank available units by real driving time
//! (through the [`TravelTimes`] trait, normally the road engine) into the
//! 1, 3 and 5-minute tiers and propose the two-way dispatch.
//!
//! It is not a server and not a store: no I/O, no clock, no threads. The
//! caller owns persistence, time and locking (see ARCHITECTURE.md).

pub mod config;
pub mod eido;
pub mod engine;
pub mod figures;
pub mod jurisdiction;
pub mod model;
pub mod recommend;
pub mod time;
pub mod travel;

pub use config::{Config, PositionAdvice};
pub use engine::{Changes, DispatchOutcome, Engine, FixReport, Message, NewIncident};
pub use jurisdiction::{Jurisdiction, Jurisdictions, Level};
pub use model::*;
pub use recommend::{Recommendation, Tier};
pub use roads::haversine_m;
pub use time::Millis;
pub use travel::{RoadTravel, StraightLine, TravelTimes};

/// Why a command was refused. Every variant names what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// A field is missing or wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field (`lat`, `unit_ids[2]`, ...).
        field: String,
        /// What was expected.
        message: String,
    },
    /// No such record.
    #[error("{what} {id} not found")]
    NotFound {
        /// `incident`, `unit`, ...
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The lifecycle does not allow it.
    #[error("incident {id} cannot go from {from} to {to}; allowed next: {allowed}")]
    IllegalTransition {
        /// Incident.
        id: IncidentId,
        /// Current status.
        from: &'static str,
        /// Requested status.
        to: &'static str,
        /// What is allowed instead.
        allowed: String,
    },
    /// Valid on its own but not in the current state (unit busy, ...).
    #[error("{message}")]
    Conflict {
        /// The field concerned, if any.
        field: Option<String>,
        /// What is in the way.
        message: String,
    },
}

impl DispatchError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
    /// A state conflict.
    pub fn conflict(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid_field",
            Self::NotFound { .. } => "not_found",
            Self::IllegalTransition { .. } => "illegal_transition",
            Self::Conflict { .. } => "conflict",
        }
    }
    /// The field at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Conflict { field, .. } => field.as_deref(),
            Self::IllegalTransition { .. } => Some("status"),
            Self::NotFound { .. } => None,
        }
    }
}
