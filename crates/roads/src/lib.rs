//! The road-network engine of pingan: every "1, 3 or 5 minutes" is driving
//! time on real roads, and this crate computes it.
//!
//! What it is: a graph library that takes junctions and road pieces with travel
//! times per direction ([`RoadNetwork`]), prepares them ([`Graph::build`]: a
//! contraction hierarchy, an R-tree of road segments), and answers exact
//! queries: snapping a coordinate onto a road as a partial edge ([`Graph::snap`]),
//! one-to-one routes, many-to-one and many-to-many tables ([`Router`]),
//! isochrones and reachable road stretches ([`isochrones`]). It saves to and
//! loads from one compact versioned binary ([`Graph::to_bytes`]).
//!
//! What it is not: it knows nothing about police, units or incidents, it does
//! no I/O (the caller reads and writes files), and it does not read
//! OpenStreetMap (the `osm-import` crate does).
//!
//! Exactness: every query returns exactly the time plain Dijkstra finds on the
//! same integer millisecond weights ([`Dijkstra::route_ms`] is the oracle the
//! tests compare against). A position on a road splits that road's time in
//! proportion to its length, rounded to the millisecond identically everywhere.
//!
//! Model limits (see the README for measured effects): no turn costs and no
//! turn restrictions (the graph is node-based); a fixed delay is added at
//! traffic signals by the importer; speeds are static.

mod ch;
mod format;
mod geo;
mod graph;
mod isochrone;
mod network;
mod plain;
mod query;
mod snap;
mod steps;

pub use format::FORMAT_VERSION;
pub use geo::{EARTH_RADIUS_M, LatLon, LocalProjection, haversine_m, polyline_m};
pub use graph::{BuildOptions, BuildReport, BuildStage, Graph, GraphStats};
pub use isochrone::{
    IsochroneArea, IsochroneOptions, Isochrones, ReachedPart, isochrones, reachable_parts,
    to_geojson,
};
pub use network::{Road, RoadNetwork};
pub use plain::{Dijkstra, Direction};
pub use query::{Leg, PreparedSources, Route, Router};
pub use snap::{DEFAULT_MAX_SNAP_M, Snap};
pub use steps::{Step, Turn, steps};

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoadsError {
    /// The input network is unusable; the message names the road or node.
    #[error("invalid road network: {0}")]
    InvalidNetwork(String),
    /// A coordinate is not a valid latitude/longitude.
    #[error("invalid coordinate: latitude {}, longitude {} (expected latitude -90..90, longitude -180..180)", .0.lat, .0.lon)]
    InvalidCoordinate(LatLon),
    /// The nearest road is farther than allowed.
    #[error("no road within {max_m:.0} m of {},{}: the nearest road is {distance_m:.0} m away", at.lat, at.lon)]
    TooFarFromRoad {
        /// The coordinate asked for.
        at: LatLon,
        /// Distance to the nearest road segment, metres.
        distance_m: f64,
        /// The allowed maximum, metres.
        max_m: f64,
    },
    /// The graph has no roads.
    #[error("the road graph is empty")]
    EmptyGraph,
    /// A graph file of another format version.
    #[error(
        "road graph file has format version {found}, this build reads version {expected}: rebuild it with `pingan roads build`"
    )]
    Version {
        /// The file's version.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// A damaged or truncated graph file.
    #[error("road graph file is damaged: {0}")]
    Corrupt(String),
    /// A bad argument to a query.
    #[error("{0}")]
    InvalidArgument(String),
}
