//! Reads the names of an OpenStreetMap extract into the places index's
//! records ([`places::Place`]): streets (named highways, one record for each
//! stretch of connected ways of one name), the junctions where two named
//! streets meet, house numbers (`addr:housenumber` with `addr:street` or
//! `addr:place`, on nodes and on ways such as building outlines), named
//! landmarks and `place=*` nodes.
//!
//! Not yet read: `addr:interpolation` ways, relations (multipolygon
//! landmarks, street relations).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use osmpbf::{Element, ElementReader};
use places::{Kind, Place};
use roads::{LatLon, haversine_m};

use crate::ImportError;

/// The keys whose values name a place besides `name`.
const OTHER_NAMES: [&str; 6] = [
    "name:zh",
    "name:en",
    "alt_name",
    "old_name",
    "official_name",
    "short_name",
];

/// The keys that make a named element a landmark.
const LANDMARK_KEYS: [&str; 10] = [
    "amenity",
    "shop",
    "tourism",
    "leisure",
    "office",
    "public_transport",
    "historic",
    "healthcare",
    "craft",
    "man_made",
];

/// What a places read found, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlacesReport {
    /// Street records (connected stretches of one name).
    pub streets: u64,
    /// Junctions of two named streets.
    pub intersections: u64,
    /// House numbers.
    pub addresses: u64,
    /// Landmarks.
    pub pois: u64,
    /// `place=*` nodes.
    pub places: u64,
    /// Elements whose nodes were missing from the extract (skipped).
    pub missing_nodes: u64,
}

struct Names {
    label: String,
    others: Vec<String>,
}

/// The value of tag `k`, trimmed.
fn tag<'a>(tags: &[(&str, &'a str)], k: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(key, _)| *key == k)
        .map(|(_, v)| v.trim())
}

fn names(tags: &[(&str, &str)]) -> Option<Names> {
    let get = |k: &str| tag(tags, k);
    let label = get("name")
        .or_else(|| get("name:zh"))
        .or_else(|| get("name:en"))
        .filter(|s| !s.is_empty())?;
    let mut others: Vec<String> = OTHER_NAMES
        .iter()
        .filter_map(|k| get(k))
        .flat_map(|v| v.split(';').map(str::trim))
        .filter(|v| !v.is_empty() && *v != label)
        .map(str::to_string)
        .collect();
    others.dedup();
    Some(Names {
        label: label.to_string(),
        others,
    })
}

struct NamedWay {
    street: bool,
    landmark: bool,
    names: Names,
    address: Option<String>,
    nodes: Vec<i64>,
}

fn address(tags: &[(&str, &str)]) -> Option<String> {
    let get = |k: &str| tag(tags, k);
    let number = get("addr:housenumber").filter(|s| !s.is_empty())?;
    let street = get("addr:street")
        .or_else(|| get("addr:place"))
        .filter(|s| !s.is_empty())?;
    Some(format!("{street} {number}"))
}

fn is_landmark(tags: &[(&str, &str)]) -> bool {
    tags.iter().any(|(k, v)| {
        LANDMARK_KEYS.contains(k)
            || (*k == "railway" && matches!(*v, "station" | "halt" | "tram_stop"))
            || (*k == "bridge" && *v != "no")
            || (*k == "building"
                && matches!(
                    *v,
                    "school" | "hospital" | "university" | "church" | "train_station"
                ))
    })
}

/// Reads `path` into place records.
pub fn read_places(path: &Path) -> Result<(Vec<Place>, PlacesReport), ImportError> {
    let pbf_err = |source| ImportError::Pbf {
        path: path.display().to_string(),
        source,
    };
    let mut report = PlacesReport::default();
    let mut out: Vec<Place> = Vec::new();
    let mut ways: Vec<NamedWay> = Vec::new();
    // Pass 1: ways with names or addresses; nodes that are places themselves.
    let node = |tags: &[(&str, &str)], lat: f64, lon: f64, out: &mut Vec<Place>| {
        if let Some(label) = address(tags) {
            out.push(Place {
                label,
                kind: Kind::Address,
                lat,
                lon,
                names: vec![],
                shape: vec![],
            });
        }
        let Some(n) = names(tags) else { return };
        let kind = if tags.iter().any(|(k, _)| *k == "place") {
            Kind::Place
        } else if is_landmark(tags) {
            Kind::Poi
        } else {
            return;
        };
        out.push(Place {
            label: n.label,
            kind,
            lat,
            lon,
            names: n.others,
            shape: vec![],
        });
    };
    ElementReader::from_path(path)
        .map_err(pbf_err)?
        .for_each(|el| match el {
            Element::Way(w) => {
                let tags: Vec<(&str, &str)> = w.tags().collect();
                let addr = address(&tags);
                let street = tags.iter().any(|(k, _)| *k == "highway");
                let landmark = !street && is_landmark(&tags);
                let named = names(&tags);
                if addr.is_some() || (named.is_some() && (street || landmark)) {
                    ways.push(NamedWay {
                        street,
                        landmark,
                        names: named.unwrap_or(Names {
                            label: String::new(),
                            others: vec![],
                        }),
                        address: addr,
                        nodes: w.refs().collect(),
                    });
                }
            }
            Element::Node(n) => {
                let tags: Vec<(&str, &str)> = n.tags().collect();
                if !tags.is_empty() {
                    node(&tags, n.lat(), n.lon(), &mut out);
                }
            }
            Element::DenseNode(n) => {
                let tags: Vec<(&str, &str)> = n.tags().collect();
                if !tags.is_empty() {
                    node(&tags, n.lat(), n.lon(), &mut out);
                }
            }
            _ => {}
        })
        .map_err(pbf_err)?;
    // Pass 2: the coordinates of the ways' nodes.
    let wanted: HashSet<i64> = ways.iter().flat_map(|w| w.nodes.iter().copied()).collect();
    let mut at: HashMap<i64, LatLon> = HashMap::with_capacity(wanted.len());
    ElementReader::from_path(path)
        .map_err(pbf_err)?
        .for_each(|el| {
            let (id, lat, lon) = match el {
                Element::Node(n) => (n.id(), n.lat(), n.lon()),
                Element::DenseNode(n) => (n.id(), n.lat(), n.lon()),
                _ => return,
            };
            if wanted.contains(&id) {
                at.insert(id, LatLon::new(lat, lon));
            }
        })
        .map_err(pbf_err)?;
    for w in &ways {
        let pts: Vec<LatLon> = w.nodes.iter().filter_map(|n| at.get(n).copied()).collect();
        if pts.is_empty() {
            report.missing_nodes += 1;
            continue;
        }
        let mid = centre(&pts);
        if let Some(label) = &w.address {
            out.push(Place {
                label: label.clone(),
                kind: Kind::Address,
                lat: mid.lat,
                lon: mid.lon,
                names: vec![],
                shape: vec![],
            });
        }
        if w.landmark {
            out.push(Place {
                label: w.names.label.clone(),
                kind: Kind::Poi,
                lat: mid.lat,
                lon: mid.lon,
                names: w.names.others.clone(),
                shape: vec![],
            });
        }
    }
    streets_and_junctions(&ways, &at, &mut out);
    for p in &out {
        match p.kind {
            Kind::Street => report.streets += 1,
            Kind::Intersection => report.intersections += 1,
            Kind::Address => report.addresses += 1,
            Kind::Poi => report.pois += 1,
            Kind::Place => report.places += 1,
            _ => {}
        }
    }
    Ok((out, report))
}

/// The point of `pts` nearest their mean (a point on the thing itself).
fn centre(pts: &[LatLon]) -> LatLon {
    let n = pts.len() as f64;
    let mean = LatLon::new(
        pts.iter().map(|p| p.lat).sum::<f64>() / n,
        pts.iter().map(|p| p.lon).sum::<f64>() / n,
    );
    *pts.iter()
        .min_by(|a, b| haversine_m(**a, mean).total_cmp(&haversine_m(**b, mean)))
        .expect("not empty")
}

/// One street record for each connected stretch of ways of one name, and
/// one intersection for each junction of two names (junctions of the same
/// two names closer than 60 m are one crossing: dual carriageways).
fn streets_and_junctions(ways: &[NamedWay], at: &HashMap<i64, LatLon>, out: &mut Vec<Place>) {
    let streets: Vec<&NamedWay> = ways
        .iter()
        .filter(|w| w.street && !w.names.label.is_empty())
        .collect();
    // Union ways of one name that share a node.
    let mut parent: Vec<usize> = (0..streets.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut by_node: HashMap<(i64, &str), usize> = HashMap::new();
    let mut names_at: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, w) in streets.iter().enumerate() {
        for &n in &w.nodes {
            if let Some(&j) = by_node.get(&(n, w.names.label.as_str())) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a] = b;
            } else {
                by_node.insert((n, w.names.label.as_str()), i);
            }
            names_at.entry(n).or_default().push(i);
        }
    }
    let mut stretches: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..streets.len() {
        let r = root(&mut parent, i);
        stretches.entry(r).or_default().push(i);
    }
    let mut stretch_list: Vec<Vec<usize>> = stretches.into_values().collect();
    stretch_list.sort();
    for members in stretch_list {
        let pts: Vec<LatLon> = members
            .iter()
            .flat_map(|&i| streets[i].nodes.iter().filter_map(|n| at.get(n).copied()))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let c = centre(&pts);
        let first = streets[members[0]];
        let mut others: Vec<String> = members
            .iter()
            .flat_map(|&i| streets[i].names.others.iter().cloned())
            .collect();
        others.sort();
        others.dedup();
        // Its nodes, about every 20 m, for reverse look-ups.
        let mut shape: Vec<LatLon> = Vec::new();
        for p in &pts {
            if shape.last().is_none_or(|q| haversine_m(*q, *p) >= 20.0) {
                shape.push(*p);
            }
        }
        out.push(Place {
            label: first.names.label.clone(),
            kind: Kind::Street,
            lat: c.lat,
            lon: c.lon,
            names: others,
            shape: shape.iter().map(|p| (p.lat, p.lon)).collect(),
        });
    }
    // Junctions.
    let mut nodes: Vec<(&i64, &Vec<usize>)> = names_at.iter().collect();
    nodes.sort();
    let mut seen: HashMap<(String, String), Vec<LatLon>> = HashMap::new();
    for (n, ws) in nodes {
        let Some(&p) = at.get(n) else { continue };
        let mut labels: Vec<&str> = ws
            .iter()
            .map(|&i| streets[i].names.label.as_str())
            .collect();
        labels.sort();
        labels.dedup();
        for a in 0..labels.len() {
            for b in a + 1..labels.len() {
                let key = (labels[a].to_string(), labels[b].to_string());
                let near = seen.entry(key.clone()).or_default();
                if near.iter().any(|q| haversine_m(*q, p) < 60.0) {
                    continue;
                }
                near.push(p);
                out.push(Place::junction(&key.0, &key.1, p.lat, p.lon));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monaco() -> Vec<Place> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/osm/monaco-2016-osrm.osm.pbf");
        read_places(&path).unwrap().0
    }

    #[test]
    fn monaco_has_streets_junctions_and_landmarks() {
        let all = monaco();
        let count = |k: Kind| all.iter().filter(|p| p.kind == k).count();
        assert!(count(Kind::Street) > 300, "{}", count(Kind::Street));
        assert!(count(Kind::Intersection) > 300);
        assert!(count(Kind::Poi) > 100);
        // A junction is where both its streets pass.
        let streets: HashSet<&str> = all
            .iter()
            .filter(|p| p.kind == Kind::Street)
            .map(|p| p.label.as_str())
            .collect();
        for j in all.iter().filter(|p| p.kind == Kind::Intersection) {
            let (a, b) = j.label.split_once(" & ").unwrap();
            assert!(streets.contains(a) && streets.contains(b), "{}", j.label);
        }
        assert!(
            streets.contains("Boulevard Albert 1er"),
            "a main street of Monaco"
        );
    }

    #[test]
    fn every_label_is_found_by_its_full_text() {
        let index = places::Index::build(monaco());
        let mut missing = Vec::new();
        for (id, p) in index.places().iter().enumerate() {
            let hits = index.search(&p.label, None, 100);
            let found = hits.iter().any(|h| index.place(h.id).label == p.label);
            // One-letter Latin labels are not searched (too short to mean anything).
            if !found && p.label.chars().filter(|c| c.is_alphanumeric()).count() > 1 {
                missing.push(format!("{id}: {}", p.label));
            }
        }
        assert!(missing.is_empty(), "not found: {missing:?}");
    }
}
