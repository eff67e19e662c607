//! The engine's input: road pieces between junctions, with travel times per direction.

use crate::{LatLon, RoadsError};

/// A road network as an importer produces it, before any preprocessing.
///
/// Vertices are junctions (and road ends); a [`Road`] is the stretch of one way
/// between two of them, with its full geometry. Travel times are per direction, so
/// a one-way street has one of them `None`.
#[derive(Debug, Clone, Default)]
pub struct RoadNetwork {
    /// Junction coordinates; a road's `from`/`to` index into this.
    pub nodes: Vec<LatLon>,
    /// Road pieces.
    pub roads: Vec<Road>,
}

/// One stretch of road between two junctions.
#[derive(Debug, Clone, PartialEq)]
pub struct Road {
    /// Start junction (index into [`RoadNetwork::nodes`]).
    pub from: u32,
    /// End junction.
    pub to: u32,
    /// The polyline from `from` to `to`, both ends included.
    pub geometry: Vec<LatLon>,
    /// Milliseconds to drive from `from` to `to`; `None` where that direction is not allowed.
    pub forward_ms: Option<u32>,
    /// Milliseconds to drive from `to` to `from`; `None` where that direction is not allowed.
    pub backward_ms: Option<u32>,
    /// Where the road came from (an OSM way id), for messages and debugging.
    pub source_id: i64,
}

impl RoadNetwork {
    /// Checks that every index, coordinate and time is usable, naming the first bad road.
    pub fn validate(&self) -> Result<(), RoadsError> {
        let n = self.nodes.len();
        if n >= (1 << 31) || self.roads.len() >= (1 << 30) {
            return Err(RoadsError::InvalidNetwork(
                "network too large for 32-bit ids".into(),
            ));
        }
        for (i, p) in self.nodes.iter().enumerate() {
            if !p.is_valid() {
                return Err(RoadsError::InvalidNetwork(format!(
                    "node {i} has an invalid coordinate {p:?}"
                )));
            }
        }
        for (i, r) in self.roads.iter().enumerate() {
            let bad = |why: &str| {
                RoadsError::InvalidNetwork(format!("road {i} (source {}): {why}", r.source_id))
            };
            if r.from as usize >= n || r.to as usize >= n {
                return Err(bad("junction index out of range"));
            }
            if r.geometry.len() < 2 {
                return Err(bad("geometry needs at least two points"));
            }
            if r.geometry.iter().any(|p| !p.is_valid()) {
                return Err(bad("geometry has an invalid coordinate"));
            }
            if r.forward_ms.is_none() && r.backward_ms.is_none() {
                return Err(bad("neither direction is drivable"));
            }
            if r.forward_ms == Some(u32::MAX) || r.backward_ms == Some(u32::MAX) {
                return Err(bad("travel time out of range"));
            }
        }
        Ok(())
    }
}
