//! The places index the server answers from: the city's own places (read
//! from OpenStreetMap or a `.places` file) together with the names the
//! police already keep — every level of the jurisdiction tree and the
//! village and community police offices — so "松林三村" or "长安派出所"
//! is found like any street.

use std::collections::HashMap;
use std::sync::Arc;

use dispatch::{Jurisdictions, Level, PoliceOffice};
use places::{Index, Kind, Place};
use roads::Graph;
use tiles::{LabelKind, PointLabel};

/// What the base map draws from the index: each road's street name (by the
/// OpenStreetMap way the road came from) and the named points.
pub fn map_labels(index: &Index, graph: &Graph) -> (Vec<Option<Arc<str>>>, Vec<PointLabel>) {
    let mut interned: HashMap<&str, Arc<str>> = HashMap::new();
    let road_name = (0..graph.road_count() as u32)
        .map(|r| {
            let street = index.street_of_way(graph.road_source(r))?;
            Some(
                interned
                    .entry(street.label.as_str())
                    .or_insert_with(|| Arc::from(street.label.as_str()))
                    .clone(),
            )
        })
        .collect();
    let points = index
        .places()
        .iter()
        .filter_map(|p| {
            let kind = match p.kind {
                Kind::Place => LabelKind::Place,
                Kind::Station => LabelKind::Station,
                Kind::Community => LabelKind::Community,
                Kind::Poi => LabelKind::Poi,
                _ => return None,
            };
            Some(PointLabel {
                name: p.label.clone(),
                kind,
                lat: p.lat,
                lon: p.lon,
            })
        })
        .collect();
    (road_name, points)
}

/// Whether a place of this kind comes from the registries (rebuilt from
/// them) rather than from the city's map.
fn from_registries(kind: Kind) -> bool {
    matches!(kind, Kind::Station | Kind::Community)
}

/// The places of the jurisdiction tree and the police offices.
pub fn registry_places(tree: &Jurisdictions, offices: &[PoliceOffice]) -> Vec<Place> {
    let mut out: Vec<Place> = tree
        .all()
        .iter()
        .filter_map(|j| {
            let (lon, lat) = match j.seat {
                Some([lon, lat]) => (lon, lat),
                None => centroid(j.polygon.first()?.first()?)?,
            };
            let kind = match j.level {
                Level::Community | Level::Grid => Kind::Community,
                Level::CityBureau | Level::Bureau | Level::Station => Kind::Station,
            };
            Some(Place {
                approximate: false,
                code: None,
                ways: Vec::new(),
                label: j.name_zh.clone(),
                kind,
                lat,
                lon,
                names: j.name_en.iter().cloned().chain([j.id.clone()]).collect(),
                shape: Vec::new(),
            })
        })
        .collect();
    out.extend(offices.iter().map(|o| Place {
        approximate: false,
        code: None,
        ways: Vec::new(),
        label: o.name.clone(),
        kind: Kind::Station,
        lat: o.lat,
        lon: o.lon,
        names: vec![o.id.clone()],
        shape: Vec::new(),
    }));
    out
}

/// The mean of a ring's points, `(lon, lat)`.
fn centroid(ring: &[[f64; 2]]) -> Option<(f64, f64)> {
    // A closed ring repeats its first point; leave it out of the mean.
    let pts = match ring {
        [first, .., last] if first == last => &ring[..ring.len() - 1],
        _ => ring,
    };
    if pts.is_empty() {
        return None;
    }
    let n = pts.len() as f64;
    Some((
        pts.iter().map(|p| p[0]).sum::<f64>() / n,
        pts.iter().map(|p| p[1]).sum::<f64>() / n,
    ))
}

/// The index of `city` (the map's places), the places the police imported
/// through the API (each kind imported replaces the city's places of that
/// kind: the register posted is the register) and the registries' places.
pub fn build(
    city: impl IntoIterator<Item = Place>,
    imported: &[Place],
    tree: &Jurisdictions,
    offices: &[PoliceOffice],
) -> places::Index {
    let replaced: Vec<Kind> = imported.iter().map(|p| p.kind).collect();
    let mut all: Vec<Place> = city
        .into_iter()
        .filter(|p| !from_registries(p.kind) && !replaced.contains(&p.kind))
        .collect();
    all.extend(imported.iter().cloned());
    all.extend(registry_places(tree, offices));
    places::Index::build(all)
}

/// A stored imported place as indexed; `None` for a kind this build does
/// not know.
pub fn from_store(kind: &str, p: store::ImportedPlace) -> Option<Place> {
    Some(Place {
        approximate: false,
        code: p.code,
        ways: Vec::new(),
        kind: Kind::parse(kind)?,
        label: p.label,
        lat: p.lat,
        lon: p.lon,
        names: p.names,
        shape: Vec::new(),
    })
}
