//! The base map: Mapbox Vector Tiles (MVT 2.1) of the road graph, made on
//! request and cached, so the dashboard draws real streets with no tile
//! server and nothing from the internet. Layer `roads`: each road piece with
//! a class property `c` (0 fast roads ≥ 70 km/h, 1 ≥ 45 km/h, 2 ≥ 30 km/h, 3
//! the rest; low zooms carry only the faster classes) and its street's name
//! `n` where known. Layer `labels`: named points with `n` and a kind `k`
//! (`place` from zoom 10, `station` and `community` from 13, `poi` from 15).
//! [`Glyphs`] draws the names: the font is embedded.
//!
//! Pure: it takes a graph and tile coordinates and returns bytes; serving
//! them over HTTP is the server's job. It is not a general MVT library.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::{Arc, Mutex, RwLock};

use roads::Graph;

mod glyphs;
pub use glyphs::{FONT_NAME, Glyphs};
use rstar::{AABB, RTree, RTreeObject};

struct RoadBox {
    bbox: AABB<[f64; 2]>,
    road: u32,
    class: u8,
}

impl RTreeObject for RoadBox {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.bbox
    }
}

/// A named point drawn on the map: a town, a station, a community, a landmark.
#[derive(Debug, Clone, PartialEq)]
pub struct PointLabel {
    /// The name drawn.
    pub name: String,
    /// Its kind, which decides from which zoom it shows.
    pub kind: LabelKind,
    /// Latitude, WGS-84.
    pub lat: f64,
    /// Longitude, WGS-84.
    pub lon: f64,
}

/// What a [`PointLabel`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LabelKind {
    /// A city, town, village or neighbourhood.
    Place,
    /// A police station or bureau.
    Station,
    /// A community or village of the jurisdiction tree.
    Community,
    /// A landmark.
    Poi,
}

impl LabelKind {
    fn as_str(self) -> &'static str {
        match self {
            LabelKind::Place => "place",
            LabelKind::Station => "station",
            LabelKind::Community => "community",
            LabelKind::Poi => "poi",
        }
    }

    fn min_zoom(self) -> u8 {
        match self {
            LabelKind::Place => 10,
            LabelKind::Station | LabelKind::Community => 13,
            LabelKind::Poi => 15,
        }
    }
}

struct PointBox {
    at: [f64; 2],
    label: u32,
}

impl RTreeObject for PointBox {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.at)
    }
}

impl rstar::PointDistance for PointBox {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        (self.at[0] - p[0]).powi(2) + (self.at[1] - p[1]).powi(2)
    }
}

/// The names a tile draws, swapped whole when the places change.
#[derive(Default)]
struct Labels {
    /// Each road's street name, by road id.
    road_names: Vec<Option<Arc<str>>>,
    points: Vec<PointLabel>,
    index: RTree<PointBox>,
}

/// A tile's zoom, column and row.
type TileId = (u8, u32, u32);

/// Vector tiles of one road graph.
pub struct RoadTiles {
    graph: &'static Graph,
    index: RTree<RoadBox>,
    labels: RwLock<Arc<Labels>>,
    cache: Mutex<HashMap<TileId, Arc<Vec<u8>>>>,
}

/// Deepest zoom served; MapLibre over-zooms beyond it.
pub const MAX_ZOOM: u8 = 15;
const EXTENT: f64 = 4096.0;

fn class_of(kmh: f64) -> u8 {
    match kmh {
        k if k >= 70.0 => 0,
        k if k >= 45.0 => 1,
        k if k >= 30.0 => 2,
        _ => 3,
    }
}

fn max_class(z: u8) -> u8 {
    match z {
        0..=10 => 0,
        11 => 1,
        12..=13 => 2,
        _ => 3,
    }
}

/// Web-Mercator position of a coordinate in tiles at zoom `z`.
fn world(lon: f64, lat: f64, z: u8) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let lat = lat.clamp(-85.0511, 85.0511).to_radians();
    (
        (lon + 180.0) / 360.0 * n,
        (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n,
    )
}

fn lon_lat(x: f64, y: f64, z: u8) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    (
        x / n * 360.0 - 180.0,
        (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees(),
    )
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from(field << 3 | wire));
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

impl RoadTiles {
    /// Indexes the roads of `graph`.
    pub fn new(graph: &'static Graph) -> Self {
        let boxes = (0..graph.road_count() as u32)
            .filter_map(|r| {
                let geom = graph.road_geometry(r);
                let (f, b) = graph.road_ms(r);
                let ms = f.into_iter().chain(b).min()?;
                let kmh = graph.road_meters(r) / (f64::from(ms.max(1)) / 1000.0) * 3.6;
                let pts: Vec<[f64; 2]> = geom.iter().map(|p| [p.lon, p.lat]).collect();
                Some(RoadBox {
                    bbox: AABB::from_points(pts.iter()),
                    road: r,
                    class: class_of(kmh),
                })
            })
            .collect();
        RoadTiles {
            graph,
            index: RTree::bulk_load(boxes),
            labels: RwLock::new(Arc::new(Labels::default())),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the names drawn: `road_name(road)` for each road of the graph,
    /// and the named points. Tiles cut before are dropped.
    pub fn set_labels(
        &self,
        road_name: impl Fn(u32) -> Option<Arc<str>>,
        mut points: Vec<PointLabel>,
    ) {
        let road_names = (0..self.graph.road_count() as u32).map(road_name).collect();
        // Denser kinds later: where labels collide MapLibre keeps the first.
        points.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.name.cmp(&b.name)));
        let index = RTree::bulk_load(
            points
                .iter()
                .enumerate()
                .map(|(i, p)| PointBox {
                    at: [p.lon, p.lat],
                    label: i as u32,
                })
                .collect(),
        );
        let labels = Labels {
            road_names,
            points,
            index,
        };
        *self.labels.write().expect("labels") = Arc::new(labels);
        self.cache.lock().expect("tile cache").clear();
    }

    /// The tile `z/x/y` as MVT bytes (empty tile when nothing is there).
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Option<Arc<Vec<u8>>> {
        if z > MAX_ZOOM || x >= 1 << z || y >= 1 << z {
            return None;
        }
        if let Some(t) = self.cache.lock().expect("tile cache").get(&(z, x, y)) {
            return Some(t.clone());
        }
        let t = Arc::new(self.render(z, x, y));
        let mut cache = self.cache.lock().expect("tile cache");
        if cache.len() > 20_000 {
            cache.clear();
        }
        cache.insert((z, x, y), t.clone());
        Some(t)
    }

    fn render(&self, z: u8, x: u32, y: u32) -> Vec<u8> {
        let buffer = 64.0 / EXTENT;
        let (lon0, lat1) = lon_lat(f64::from(x) - buffer, f64::from(y) - buffer, z);
        let (lon1, lat0) = lon_lat(f64::from(x) + 1.0 + buffer, f64::from(y) + 1.0 + buffer, z);
        let env = AABB::from_corners([lon0, lat0], [lon1, lat1]);
        let limit = max_class(z);
        let mut features: Vec<u8> = Vec::new();
        let mut hits: Vec<&RoadBox> = self
            .index
            .locate_in_envelope_intersecting(&env)
            .filter(|b| b.class <= limit)
            .collect();
        hits.sort_by_key(|b| (b.class, b.road));
        let labels = self.labels.read().expect("labels").clone();
        // Values: the four classes, then the names in this tile.
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut name_ix: HashMap<Arc<str>, u64> = HashMap::new();
        for b in hits {
            let mut pts: Vec<(i64, i64)> = Vec::new();
            for p in self.graph.road_geometry(b.road) {
                let (wx, wy) = world(p.lon, p.lat, z);
                let q = (
                    ((wx - f64::from(x)) * EXTENT).round() as i64,
                    ((wy - f64::from(y)) * EXTENT).round() as i64,
                );
                if pts.last() != Some(&q) {
                    pts.push(q);
                }
            }
            if pts.len() < 2 {
                continue;
            }
            let mut geom: Vec<u8> = Vec::new();
            varint(&mut geom, 1 | (1 << 3)); // MoveTo, 1 point
            varint(&mut geom, zigzag(pts[0].0));
            varint(&mut geom, zigzag(pts[0].1));
            varint(&mut geom, 2 | ((pts.len() as u64 - 1) << 3)); // LineTo
            for w in pts.windows(2) {
                varint(&mut geom, zigzag(w[1].0 - w[0].0));
                varint(&mut geom, zigzag(w[1].1 - w[0].1));
            }
            let mut f: Vec<u8> = Vec::new();
            key(&mut f, 1, 0);
            varint(&mut f, u64::from(b.road) + 1);
            // Tags: key 0 ("c") = value index = class; key 1 ("n") = a name.
            let mut tags = Vec::new();
            varint(&mut tags, 0);
            varint(&mut tags, u64::from(b.class));
            if let Some(Some(n)) = labels.road_names.get(b.road as usize) {
                let next = 4 + names.len() as u64;
                let v = *name_ix.entry(n.clone()).or_insert_with(|| {
                    names.push(n.clone());
                    next
                });
                varint(&mut tags, 1);
                varint(&mut tags, v);
            }
            bytes_field(&mut f, 2, &tags);
            key(&mut f, 3, 0);
            varint(&mut f, 2); // LINESTRING
            bytes_field(&mut f, 4, &geom);
            bytes_field(&mut features, 2, &f);
        }
        let mut layer: Vec<u8> = Vec::new();
        key(&mut layer, 15, 0);
        varint(&mut layer, 2);
        bytes_field(&mut layer, 1, b"roads");
        layer.extend_from_slice(&features);
        bytes_field(&mut layer, 3, b"c");
        bytes_field(&mut layer, 3, b"n");
        for class in 0..4u64 {
            let mut v = Vec::new();
            key(&mut v, 5, 0); // int_value
            varint(&mut v, class);
            bytes_field(&mut layer, 4, &v);
        }
        for n in &names {
            let mut v = Vec::new();
            bytes_field(&mut v, 1, n.as_bytes()); // string_value
            bytes_field(&mut layer, 4, &v);
        }
        key(&mut layer, 5, 0);
        varint(&mut layer, EXTENT as u64);
        let mut tile = Vec::new();
        bytes_field(&mut tile, 3, &layer);
        if let Some(points) = self.point_layer(&labels, &env, z, x, y) {
            bytes_field(&mut tile, 3, &points);
        }
        tile
    }

    /// The `labels` layer: the named points in the tile that show at `z`.
    fn point_layer(
        &self,
        labels: &Labels,
        env: &AABB<[f64; 2]>,
        z: u8,
        x: u32,
        y: u32,
    ) -> Option<Vec<u8>> {
        let mut hits: Vec<u32> = labels
            .index
            .locate_in_envelope(env)
            .map(|b| b.label)
            .filter(|&i| labels.points[i as usize].kind.min_zoom() <= z)
            .collect();
        if hits.is_empty() {
            return None;
        }
        hits.sort_unstable();
        let kinds = [
            LabelKind::Place,
            LabelKind::Station,
            LabelKind::Community,
            LabelKind::Poi,
        ];
        let mut features = Vec::new();
        let mut values: Vec<Vec<u8>> = kinds
            .iter()
            .map(|k| {
                let mut v = Vec::new();
                bytes_field(&mut v, 1, k.as_str().as_bytes());
                v
            })
            .collect();
        for i in hits {
            let p = &labels.points[i as usize];
            let (wx, wy) = world(p.lon, p.lat, z);
            let q = (
                ((wx - f64::from(x)) * EXTENT).round() as i64,
                ((wy - f64::from(y)) * EXTENT).round() as i64,
            );
            let mut geom = Vec::new();
            varint(&mut geom, 1 | (1 << 3));
            varint(&mut geom, zigzag(q.0));
            varint(&mut geom, zigzag(q.1));
            let mut name = Vec::new();
            bytes_field(&mut name, 1, p.name.as_bytes());
            values.push(name);
            let mut tags = Vec::new();
            varint(&mut tags, 0); // "k"
            varint(
                &mut tags,
                kinds.iter().position(|k| *k == p.kind).unwrap_or(0) as u64,
            );
            varint(&mut tags, 1); // "n"
            varint(&mut tags, values.len() as u64 - 1);
            let mut f = Vec::new();
            key(&mut f, 1, 0);
            varint(&mut f, u64::from(i) + 1);
            bytes_field(&mut f, 2, &tags);
            key(&mut f, 3, 0);
            varint(&mut f, 1); // POINT
            bytes_field(&mut f, 4, &geom);
            bytes_field(&mut features, 2, &f);
        }
        let mut layer = Vec::new();
        key(&mut layer, 15, 0);
        varint(&mut layer, 2);
        bytes_field(&mut layer, 1, b"labels");
        layer.extend_from_slice(&features);
        bytes_field(&mut layer, 3, b"k");
        bytes_field(&mut layer, 3, b"n");
        for v in &values {
            bytes_field(&mut layer, 4, v);
        }
        key(&mut layer, 5, 0);
        varint(&mut layer, EXTENT as u64);
        Some(layer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mercator_round_trip() {
        let (x, y) = world(-8.61, 41.15, 12);
        let (lon, lat) = lon_lat(x, y, 12);
        assert!((lon + 8.61).abs() < 1e-9 && (lat - 41.15).abs() < 1e-9);
    }

    fn one_street() -> &'static Graph {
        use roads::{BuildOptions, LatLon, Road, RoadNetwork};
        let nodes = vec![LatLon::new(41.15, -8.61), LatLon::new(41.15, -8.605)];
        let road = |from, to| Road {
            from,
            to,
            geometry: vec![nodes[from as usize], nodes[to as usize]],
            forward_ms: Some(30_000),
            backward_ms: Some(30_000),
            source_id: 7,
        };
        let net = RoadNetwork {
            roads: vec![road(0, 1)],
            nodes: nodes.clone(),
        };
        let g = Graph::build(&net, &BuildOptions { min_component: 1 }, &mut |_, _, _| {})
            .unwrap()
            .0;
        Box::leak(Box::new(g))
    }

    #[test]
    fn tiles_carry_street_names_and_named_points_from_their_zoom() {
        let tiles = RoadTiles::new(one_street());
        let (wx, wy) = world(-8.6075, 41.15, 15);
        let (x, y) = (wx as u32, wy as u32);
        let has = |t: &[u8], s: &str| t.windows(s.len()).any(|w| w == s.as_bytes());
        let before = tiles.tile(15, x, y).unwrap();
        assert!(!has(&before, "Rua Nova") && !has(&before, "labels"));
        tiles.set_labels(
            |r| (tiles.graph.road_source(r) == 7).then(|| Arc::from("Rua Nova")),
            vec![
                PointLabel {
                    name: "Porto".into(),
                    kind: LabelKind::Place,
                    lat: 41.15,
                    lon: -8.6075,
                },
                PointLabel {
                    name: "Café Majestic".into(),
                    kind: LabelKind::Poi,
                    lat: 41.15,
                    lon: -8.6076,
                },
            ],
        );
        let t = tiles.tile(15, x, y).unwrap();
        assert!(has(&t, "Rua Nova") && has(&t, "labels") && has(&t, "Porto"));
        assert!(has(&t, "Café Majestic"), "a landmark shows at zoom 15");
        let (wx, wy) = world(-8.6075, 41.15, 12);
        let t12 = tiles.tile(12, wx as u32, wy as u32).unwrap();
        assert!(has(&t12, "Porto") && !has(&t12, "Café"), "but not at 12");
    }

    #[test]
    fn varints_and_zigzag() {
        let mut v = Vec::new();
        varint(&mut v, 300);
        assert_eq!(v, [0xAC, 0x02]);
        assert_eq!((zigzag(0), zigzag(-1), zigzag(1), zigzag(-2)), (0, 1, 2, 3));
    }
}
