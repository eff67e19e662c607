//! Places: the index a call taker searches while typing where the caller
//! is, and the answers a map click or a phone fix gets back. Records in
//! (street names, addresses, intersections, landmarks, standard addresses,
//! markers, the jurisdiction tree's names), answers out; no I/O, no clock.
//!
//! This first part holds the pieces every other part stands on:
//! [`datum`] converts the coordinates phones in China report (WGS-84,
//! GCJ-02, BD-09) exactly both ways, and [`text`] folds and cuts the text
//! of names and queries the same way (Latin words folded for case and
//! accents; Chinese, which has no spaces, as single characters and
//! character pairs, so any substring is found); [`index`] matches a query
//! against places (prefixes, typos, any word order) and ranks the answers.
//!
//! It is not the reader of OpenStreetMap (crates/osm-import) nor the
//! server's API (crates/server).

pub mod datum;
pub mod file;
pub mod import;
pub mod index;
pub mod text;

pub use index::{Hit, Index, Kind, Place};

/// What went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlacesError {
    /// A value is missing or malformed.
    #[error("{field}: {message}")]
    Invalid {
        /// Which field.
        field: String,
        /// What was expected.
        message: String,
    },
}
