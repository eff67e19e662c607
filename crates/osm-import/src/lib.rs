//! Reads an OpenStreetMap PBF extract into the road engine's input
//! ([`roads::RoadNetwork`]).
//!
//! What it does: keeps the ways a car may use ([`way_rule`]: classes, access,
//! one-way), splits them at junctions into road pieces with full geometry,
//! and prices each direction in milliseconds: tagged `maxspeed` where present,
//! otherwise a per-class default that is lower in urban areas; plus a fixed
//! delay for each traffic signal a car drives through or stops at.
//!
//! Urban or rural: the drivable road length per square kilometre around a
//! road, averaged over the 3 × 3 km block of 1 km cells centred on it; at
//! least [`Profile::urban_km_per_km2`] is urban. A dense street grid is what
//! makes traffic slow, and it needs no boundary data.
//!
//! It also reads the extract's names for the places index
//! ([`read_places`]: streets, their junctions, house numbers, landmarks).
//!
//! What it does not do: turn restrictions (`type=restriction` relations) are
//! counted and reported, not honoured, because the engine's graph is
//! node-based; nor turn costs, time-dependent access or ferries.

mod places;
mod tags;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use osmpbf::{Element, ElementReader, RelMemberType};
use roads::{LatLon, LocalProjection, Road, RoadNetwork, haversine_m};

pub use places::{PlacesReport, read_places};
pub use tags::{HighwayClass, Tags, WayRule, parse_maxspeed, way_rule};

/// How roads are priced.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Seconds added for each traffic signal passed.
    pub signal_delay_s: f64,
    /// Road density (km of drivable road per km²) from which an area counts as urban.
    pub urban_km_per_km2: f64,
    /// Include `highway=track`.
    pub allow_tracks: bool,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            signal_delay_s: 2.0,
            urban_km_per_km2: 10.0,
            allow_tracks: false,
        }
    }
}

/// What an import read and kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Ways in the file.
    pub ways: u64,
    /// Ways a car may use.
    pub drivable_ways: u64,
    /// Turn-restriction relations found (not honoured).
    pub turn_restrictions: u64,
    /// Way nodes whose coordinates were missing from the extract (ways split there).
    pub missing_nodes: u64,
    /// Traffic signals on drivable ways.
    pub traffic_signals: u64,
    /// Road pieces priced with the urban default.
    pub urban_roads: u64,
    /// Road pieces with a tagged `maxspeed`.
    pub tagged_speed_roads: u64,
}

/// Import failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file cannot be read as an OSM PBF.
    #[error("cannot read OpenStreetMap PBF {path}: {source}")]
    Pbf {
        /// The file.
        path: String,
        /// The reader's error.
        source: osmpbf::Error,
    },
    /// The file has no drivable roads.
    #[error("{0} has no drivable roads (is it an OpenStreetMap extract with highway ways?)")]
    NoRoads(String),
}

/// A drivable way as read: its id, node ids and rule.
#[derive(Debug, Clone, PartialEq)]
pub struct WayInput {
    /// OSM way id.
    pub id: i64,
    /// Node ids in order.
    pub nodes: Vec<i64>,
    /// The car rule from its tags.
    pub rule: WayRule,
}

/// Node facts needed to build roads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeInput {
    /// Where it is.
    pub at: LatLon,
    /// Tagged `highway=traffic_signals`.
    pub signals: bool,
}

/// Reads `path` and builds the network.
pub fn import_pbf(
    path: &Path,
    profile: &Profile,
) -> Result<(RoadNetwork, ImportReport), ImportError> {
    let pbf_err = |source| ImportError::Pbf {
        path: path.display().to_string(),
        source,
    };
    let mut report = ImportReport::default();
    let mut ways = Vec::new();
    // Pass 1: ways and relations.
    ElementReader::from_path(path)
        .map_err(pbf_err)?
        .for_each(|el| match el {
            Element::Way(w) => {
                report.ways += 1;
                let tags: Vec<(&str, &str)> = w.tags().collect();
                if let Some(rule) = way_rule(tags.as_slice(), profile.allow_tracks) {
                    ways.push(WayInput {
                        id: w.id(),
                        nodes: w.refs().collect(),
                        rule,
                    });
                }
            }
            Element::Relation(r) => {
                let is_restriction = r.tags().any(|(k, v)| k == "type" && v == "restriction");
                if is_restriction
                    && r.members().any(|m| {
                        m.member_type == RelMemberType::Node || m.member_type == RelMemberType::Way
                    })
                {
                    report.turn_restrictions += 1;
                }
            }
            _ => {}
        })
        .map_err(pbf_err)?;
    report.drivable_ways = ways.len() as u64;
    let wanted: HashSet<i64> = ways.iter().flat_map(|w| w.nodes.iter().copied()).collect();
    // Pass 2: coordinates of the nodes those ways use.
    let mut nodes: HashMap<i64, NodeInput> = HashMap::with_capacity(wanted.len());
    let mut keep = |id: i64, lat: f64, lon: f64, signals: bool| {
        if wanted.contains(&id) {
            nodes.insert(
                id,
                NodeInput {
                    at: LatLon::new(lat, lon),
                    signals,
                },
            );
        }
    };
    ElementReader::from_path(path)
        .map_err(pbf_err)?
        .for_each(|el| match el {
            Element::Node(n) => {
                let signals = n
                    .tags()
                    .any(|(k, v)| k == "highway" && v == "traffic_signals");
                keep(n.id(), n.lat(), n.lon(), signals)
            }
            Element::DenseNode(n) => {
                let signals = n
                    .tags()
                    .any(|(k, v)| k == "highway" && v == "traffic_signals");
                keep(n.id(), n.lat(), n.lon(), signals)
            }
            _ => {}
        })
        .map_err(pbf_err)?;
    let network = build_network(&ways, &nodes, profile, &mut report);
    if network.roads.is_empty() {
        return Err(ImportError::NoRoads(path.display().to_string()));
    }
    Ok((network, report))
}

/// Splits ways into road pieces at junctions and prices them.
pub fn build_network(
    ways: &[WayInput],
    nodes: &HashMap<i64, NodeInput>,
    profile: &Profile,
    report: &mut ImportReport,
) -> RoadNetwork {
    // Junctions: way ends, nodes shared by ways or repeated in one, signals
    // stay inside pieces. Missing nodes split ways.
    let mut uses: HashMap<i64, u32> = HashMap::new();
    for w in ways {
        for &n in &w.nodes {
            *uses.entry(n).or_default() += 1;
        }
    }
    report.missing_nodes = uses.keys().filter(|id| !nodes.contains_key(id)).count() as u64;
    report.traffic_signals = uses
        .keys()
        .filter(|id| nodes.get(id).is_some_and(|n| n.signals))
        .count() as u64;

    let density = Density::new(ways, nodes);
    let mut network = RoadNetwork::default();
    let mut index: HashMap<i64, u32> = HashMap::new();
    let mut junction = |id: i64, at: LatLon, net: &mut RoadNetwork| -> u32 {
        *index.entry(id).or_insert_with(|| {
            net.nodes.push(at);
            (net.nodes.len() - 1) as u32
        })
    };
    for w in ways {
        // Runs of consecutive nodes with known coordinates.
        let mut run: Vec<i64> = Vec::new();
        let runs = w.nodes.iter().map(Some).chain([None]);
        for id in runs {
            match id.filter(|id| nodes.contains_key(id)) {
                Some(&id) if run.last() != Some(&id) => run.push(id),
                Some(_) => {}
                None => {
                    let mut start = 0;
                    for i in 1..run.len() {
                        let is_end = i == run.len() - 1;
                        if is_end || uses[&run[i]] > 1 {
                            let piece = &run[start..=i];
                            let geometry: Vec<LatLon> =
                                piece.iter().map(|id| nodes[id].at).collect();
                            let from = junction(piece[0], geometry[0], &mut network);
                            let to = junction(
                                piece[piece.len() - 1],
                                geometry[geometry.len() - 1],
                                &mut network,
                            );
                            let meters: f64 =
                                geometry.windows(2).map(|p| haversine_m(p[0], p[1])).sum();
                            let urban = density
                                .is_urban(geometry[geometry.len() / 2], profile.urban_km_per_km2);
                            let (urban_kmh, rural_kmh) = w.rule.class.default_kmh();
                            let default = if urban { urban_kmh } else { rural_kmh };
                            if urban {
                                report.urban_roads += 1;
                            }
                            if w.rule.maxspeed_forward.is_some()
                                || w.rule.maxspeed_backward.is_some()
                            {
                                report.tagged_speed_roads += 1;
                            }
                            let inner_signals = piece[1..piece.len() - 1]
                                .iter()
                                .filter(|id| nodes[id].signals)
                                .count();
                            let price = |kmh: f64, end_signal: bool| -> u32 {
                                let signals = (inner_signals + end_signal as usize) as f64;
                                let s = meters / (kmh / 3.6) + signals * profile.signal_delay_s;
                                (s * 1000.0).round().clamp(0.0, (u32::MAX - 1) as f64) as u32
                            };
                            let fwd_kmh = w.rule.maxspeed_forward.unwrap_or(default);
                            let bwd_kmh = w.rule.maxspeed_backward.unwrap_or(default);
                            network.roads.push(Road {
                                from,
                                to,
                                geometry,
                                forward_ms: w.rule.forward.then(|| {
                                    price(fwd_kmh, nodes[&piece[piece.len() - 1]].signals)
                                }),
                                backward_ms: w
                                    .rule
                                    .backward
                                    .then(|| price(bwd_kmh, nodes[&piece[0]].signals)),
                                source_id: w.id,
                            });
                            start = i;
                        }
                    }
                    run.clear();
                }
            }
        }
    }
    network
}

/// Drivable road length per km², on a 1 km grid.
struct Density {
    projection: LocalProjection,
    km: HashMap<(i32, i32), f64>,
}

impl Density {
    fn new(ways: &[WayInput], nodes: &HashMap<i64, NodeInput>) -> Self {
        // A fixed origin (the lowest node id), so the grid and every urban/rural call are reproducible.
        let first = nodes
            .iter()
            .min_by_key(|(id, _)| **id)
            .map(|(_, n)| n.at)
            .unwrap_or_default();
        let projection = LocalProjection::new(first);
        let mut km = HashMap::new();
        for w in ways {
            for pair in w.nodes.windows(2) {
                let (Some(a), Some(b)) = (nodes.get(&pair[0]), nodes.get(&pair[1])) else {
                    continue;
                };
                let mid = LatLon::new((a.at.lat + b.at.lat) / 2.0, (a.at.lon + b.at.lon) / 2.0);
                *km.entry(Self::cell(&projection, mid)).or_insert(0.0) +=
                    haversine_m(a.at, b.at) / 1000.0;
            }
        }
        Density { projection, km }
    }

    fn cell(p: &LocalProjection, at: LatLon) -> (i32, i32) {
        let [x, y] = p.to_xy(at);
        ((x / 1000.0).floor() as i32, (y / 1000.0).floor() as i32)
    }

    fn is_urban(&self, at: LatLon, threshold: f64) -> bool {
        let (cx, cy) = Self::cell(&self.projection, at);
        let mut total = 0.0;
        for dy in -1..=1 {
            for dx in -1..=1 {
                total += self.km.get(&(cx + dx, cy + dy)).copied().unwrap_or(0.0);
            }
        }
        total / 9.0 >= threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(lat: f64, lon: f64) -> NodeInput {
        NodeInput {
            at: LatLon::new(lat, lon),
            signals: false,
        }
    }

    fn rule(tags: &[(&str, &str)]) -> WayRule {
        way_rule(tags, false).unwrap()
    }

    #[test]
    fn splits_at_shared_nodes_and_prices_by_speed() {
        // A 3-node way crossed at its middle node by a second way.
        let nodes: HashMap<i64, NodeInput> = [
            (1, node(0.0, 0.0)),
            (2, node(0.0, 0.001)),
            (3, node(0.0, 0.002)),
            (4, node(0.001, 0.001)),
        ]
        .into_iter()
        .collect();
        let ways = vec![
            WayInput {
                id: 10,
                nodes: vec![1, 2, 3],
                rule: rule(&[("highway", "primary"), ("maxspeed", "36")]),
            },
            WayInput {
                id: 11,
                nodes: vec![2, 4],
                rule: rule(&[("highway", "residential"), ("oneway", "yes")]),
            },
        ];
        let mut report = ImportReport::default();
        let net = build_network(&ways, &nodes, &Profile::default(), &mut report);
        assert_eq!(net.roads.len(), 3);
        assert_eq!(net.nodes.len(), 4);
        let first = &net.roads[0];
        let m = haversine_m(LatLon::new(0.0, 0.0), LatLon::new(0.0, 0.001));
        // 36 km/h is 10 m/s.
        assert_eq!(first.forward_ms, Some((m / 10.0 * 1000.0).round() as u32));
        assert_eq!(first.backward_ms, first.forward_ms);
        let side = &net.roads[2];
        assert!(side.forward_ms.is_some() && side.backward_ms.is_none());
        // Rural default for residential is 35 km/h (no dense grid here).
        let m2 = haversine_m(LatLon::new(0.0, 0.001), LatLon::new(0.001, 0.001));
        assert_eq!(
            side.forward_ms,
            Some((m2 / (35.0 / 3.6) * 1000.0).round() as u32)
        );
    }

    #[test]
    fn signals_delay_in_their_direction() {
        let mut nodes: HashMap<i64, NodeInput> = [(1, node(0.0, 0.0)), (2, node(0.0, 0.001))]
            .into_iter()
            .collect();
        nodes.get_mut(&2).unwrap().signals = true;
        let ways = vec![WayInput {
            id: 1,
            nodes: vec![1, 2],
            rule: rule(&[("highway", "primary"), ("maxspeed", "36")]),
        }];
        let net = build_network(
            &ways,
            &nodes,
            &Profile::default(),
            &mut ImportReport::default(),
        );
        let r = &net.roads[0];
        // Arriving at the signal costs 2 s more than leaving it.
        assert_eq!(r.forward_ms.unwrap() - r.backward_ms.unwrap(), 2000);
    }

    #[test]
    fn missing_nodes_split_ways() {
        let nodes: HashMap<i64, NodeInput> = [
            (1, node(0.0, 0.0)),
            (2, node(0.0, 0.001)),
            (4, node(0.0, 0.003)),
            (5, node(0.0, 0.004)),
        ]
        .into_iter()
        .collect();
        let ways = vec![WayInput {
            id: 1,
            nodes: vec![1, 2, 3, 4, 5],
            rule: rule(&[("highway", "primary")]),
        }];
        let mut report = ImportReport::default();
        let net = build_network(&ways, &nodes, &Profile::default(), &mut report);
        assert_eq!(report.missing_nodes, 1);
        assert_eq!(net.roads.len(), 2, "{:?}", net.roads);
    }
}
