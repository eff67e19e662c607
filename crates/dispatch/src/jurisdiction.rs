//! The jurisdiction tree (city bureau → bureau → station → community → grid)
//! and the indexed point-in-polygon lookup that resolves every point to its
//! station, community and grid.

use std::collections::HashMap;

use rstar::{AABB, RTree, RTreeObject};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::DispatchError;
use crate::model::{LatLon, Place};

/// Level in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 公安局
    CityBureau,
    /// 分局 / 县公安局
    Bureau,
    /// 派出所
    Station,
    /// 社区 / 村
    Community,
    /// 网格
    Grid,
}

impl Level {
    /// Every level, top down.
    pub const ALL: [Level; 5] = [
        Self::CityBureau,
        Self::Bureau,
        Self::Station,
        Self::Community,
        Self::Grid,
    ];
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CityBureau => "city_bureau",
            Self::Bureau => "bureau",
            Self::Station => "station",
            Self::Community => "community",
            Self::Grid => "grid",
        }
    }
    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// Polygons as GeoJSON MultiPolygon coordinates: polygons → rings → `[lon, lat]`.
pub type MultiPolygon = Vec<Vec<Vec<[f64; 2]>>>;

/// One area of responsibility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jurisdiction {
    /// Identifier.
    pub id: String,
    /// Level.
    pub level: Level,
    /// Parent (none for the city bureau).
    pub parent_id: Option<String>,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    #[serde(default)]
    pub name_en: Option<String>,
    /// Area.
    pub polygon: MultiPolygon,
    /// Where its office is (stations: the station building).
    #[serde(default)]
    pub seat: Option<[f64; 2]>,
}

impl Jurisdiction {
    fn bbox(&self) -> Option<AABB<[f64; 2]>> {
        let pts: Vec<[f64; 2]> = self
            .polygon
            .iter()
            .flat_map(|p| p.first())
            .flatten()
            .copied()
            .collect();
        if pts.is_empty() {
            return None;
        }
        Some(AABB::from_points(pts.iter()))
    }

    /// Whether `p` lies inside (outer ring in, no hole around it).
    pub fn contains(&self, p: LatLon) -> bool {
        let q = [p.lon, p.lat];
        self.polygon.iter().any(|poly| {
            poly.first().is_some_and(|outer| ring_contains(outer, q))
                && !poly[1..].iter().any(|hole| ring_contains(hole, q))
        })
    }
}

fn ring_contains(ring: &[[f64; 2]], q: [f64; 2]) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > q[1]) != (b[1] > q[1])
            && q[0] < (b[0] - a[0]) * (q[1] - a[1]) / (b[1] - a[1]) + a[0]
        {
            inside = !inside;
        }
        j = i;
    }
    inside
}

struct Indexed {
    bbox: AABB<[f64; 2]>,
    at: usize,
}

impl RTreeObject for Indexed {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.bbox
    }
}

/// The whole tree, indexed.
pub struct Jurisdictions {
    all: Vec<Jurisdiction>,
    by_id: HashMap<String, usize>,
    index: RTree<Indexed>,
}

impl std::fmt::Debug for Jurisdictions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jurisdictions")
            .field("len", &self.all.len())
            .finish()
    }
}

impl Jurisdictions {
    /// Checks the tree (unique ids, known parents one level up, valid rings) and indexes it.
    pub fn new(all: Vec<Jurisdiction>) -> Result<Self, DispatchError> {
        let mut by_id = HashMap::new();
        for (i, j) in all.iter().enumerate() {
            if j.id.is_empty() {
                return Err(DispatchError::invalid(
                    format!("jurisdictions[{i}].id"),
                    "must not be empty",
                ));
            }
            if by_id.insert(j.id.clone(), i).is_some() {
                return Err(DispatchError::invalid(
                    format!("jurisdictions[{i}].id"),
                    format!("duplicate id {}", j.id),
                ));
            }
        }
        for (i, j) in all.iter().enumerate() {
            match (&j.parent_id, j.level) {
                (None, Level::CityBureau) => {}
                (None, _) => {
                    return Err(DispatchError::invalid(
                        format!("jurisdictions[{i}].parent_id"),
                        format!("{} ({}) needs a parent", j.id, j.level.as_str()),
                    ));
                }
                (Some(p), level) => {
                    let Some(&pi) = by_id.get(p) else {
                        return Err(DispatchError::invalid(
                            format!("jurisdictions[{i}].parent_id"),
                            format!("unknown parent {p} of {}", j.id),
                        ));
                    };
                    if all[pi].level >= level {
                        return Err(DispatchError::invalid(
                            format!("jurisdictions[{i}].level"),
                            format!(
                                "{} ({}) sits under {} ({})",
                                j.id,
                                level.as_str(),
                                p,
                                all[pi].level.as_str()
                            ),
                        ));
                    }
                }
            }
            for poly in &j.polygon {
                for ring in poly {
                    if ring.len() < 4
                        || ring.iter().any(|c| {
                            !(-90.0..=90.0).contains(&c[1]) || !(-180.0..=180.0).contains(&c[0])
                        })
                    {
                        return Err(DispatchError::invalid(
                            format!("jurisdictions[{i}].polygon"),
                            format!(
                                "{}: every ring needs at least 4 [lon, lat] positions within range",
                                j.id
                            ),
                        ));
                    }
                }
            }
        }
        let index = RTree::bulk_load(
            all.iter()
                .enumerate()
                .filter_map(|(at, j)| {
                    Some(Indexed {
                        bbox: j.bbox()?,
                        at,
                    })
                })
                .collect(),
        );
        Ok(Jurisdictions { all, by_id, index })
    }

    /// Every jurisdiction.
    pub fn all(&self) -> &[Jurisdiction] {
        &self.all
    }

    /// One by id.
    pub fn get(&self, id: &str) -> Option<&Jurisdiction> {
        self.by_id.get(id).map(|&i| &self.all[i])
    }

    /// The chain from `id` up to the root, `id` first.
    pub fn ancestors<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a Jurisdiction> + 'a {
        let mut next = self.get(id);
        std::iter::from_fn(move || {
            let cur = next?;
            next = cur.parent_id.as_deref().and_then(|p| self.get(p));
            Some(cur)
        })
    }

    /// Whether `inner` is `outer` or lies under it.
    pub fn is_within(&self, inner: &str, outer: &str) -> bool {
        self.ancestors(inner).any(|j| j.id == outer)
    }

    /// The deepest jurisdiction of each level containing `p`, as a [`Place`];
    /// `None` when no station contains it.
    pub fn resolve(&self, p: LatLon) -> Option<Place> {
        let q = [p.lon, p.lat];
        let mut best: [Option<&Jurisdiction>; 5] = [None; 5];
        for hit in self
            .index
            .locate_in_envelope_intersecting(&AABB::from_point(q))
        {
            let j = &self.all[hit.at];
            if j.contains(p) {
                best[j.level as usize] = Some(j);
            }
        }
        // Fill the chain from the deepest hit so levels agree with the tree.
        let deepest = best.iter().rev().flatten().next()?;
        let mut place = Place::default();
        for j in self.ancestors(&deepest.id) {
            let id = Some(j.id.clone());
            match j.level {
                Level::Bureau => place.bureau_id = id,
                Level::Station => place.station_id = id,
                Level::Community => place.community_id = id,
                Level::Grid => place.grid_id = id,
                Level::CityBureau => {}
            }
        }
        place.station_id.is_some().then_some(place)
    }

    /// As a GeoJSON FeatureCollection (the import format).
    pub fn to_geojson(&self, levels: Option<&[Level]>) -> Value {
        let features: Vec<Value> = self
            .all
            .iter()
            .filter(|j| levels.is_none_or(|ls| ls.contains(&j.level)))
            .map(|j| {
                json!({
                    "type": "Feature",
                    "properties": {"id": j.id, "level": j.level, "parent_id": j.parent_id,
                                   "name_zh": j.name_zh, "name_en": j.name_en, "seat": j.seat},
                    "geometry": {"type": "MultiPolygon", "coordinates": j.polygon},
                })
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    }

    /// Reads a GeoJSON FeatureCollection: properties `id`, `level`,
    /// `parent_id`, `name_zh` (or `name`), optional `name_en`, `seat`;
    /// geometry Polygon or MultiPolygon.
    pub fn from_geojson(doc: &Value) -> Result<Vec<Jurisdiction>, DispatchError> {
        let features = doc
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                DispatchError::invalid(
                    "features",
                    "expected a GeoJSON FeatureCollection with a features array",
                )
            })?;
        let mut out = Vec::with_capacity(features.len());
        for (i, f) in features.iter().enumerate() {
            let field = |name: &str| format!("features[{i}].{name}");
            let props = f
                .get("properties")
                .and_then(Value::as_object)
                .ok_or_else(|| DispatchError::invalid(field("properties"), "expected an object"))?;
            let text = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_string);
            let id = text("id").ok_or_else(|| {
                DispatchError::invalid(field("properties.id"), "expected a string")
            })?;
            let level_s = text("level").ok_or_else(|| {
                DispatchError::invalid(
                    field("properties.level"),
                    "expected one of city_bureau, bureau, station, community, grid",
                )
            })?;
            let level = Level::parse(&level_s).ok_or_else(|| DispatchError::invalid(field("properties.level"), format!("unknown level {level_s:?}; expected one of city_bureau, bureau, station, community, grid")))?;
            let name_zh = text("name_zh").or_else(|| text("name")).ok_or_else(|| {
                DispatchError::invalid(field("properties.name_zh"), "expected a name")
            })?;
            let geometry = f
                .get("geometry")
                .ok_or_else(|| DispatchError::invalid(field("geometry"), "missing"))?;
            let coords = geometry.get("coordinates").cloned().unwrap_or(Value::Null);
            let polygon: MultiPolygon = match geometry.get("type").and_then(Value::as_str) {
                Some("Polygon") => vec![serde_json::from_value(coords).map_err(|e| {
                    DispatchError::invalid(field("geometry.coordinates"), e.to_string())
                })?],
                Some("MultiPolygon") => serde_json::from_value(coords).map_err(|e| {
                    DispatchError::invalid(field("geometry.coordinates"), e.to_string())
                })?,
                other => {
                    return Err(DispatchError::invalid(
                        field("geometry.type"),
                        format!("expected Polygon or MultiPolygon, got {other:?}"),
                    ));
                }
            };
            let seat = props
                .get("seat")
                .filter(|v| !v.is_null())
                .map(|v| serde_json::from_value(v.clone()))
                .transpose()
                .map_err(|e| DispatchError::invalid(field("properties.seat"), e.to_string()))?;
            out.push(Jurisdiction {
                id,
                level,
                parent_id: text("parent_id"),
                name_zh,
                name_en: text("name_en"),
                polygon,
                seat,
            });
        }
        Ok(out)
    }
}

/// A rectangular jurisdiction from (x0, y0) to (x1, y1), for tests.
#[cfg(test)]
pub(crate) fn square(
    id: &str,
    level: Level,
    parent: Option<&str>,
    [x0, y0]: [f64; 2],
    [x1, y1]: [f64; 2],
) -> Jurisdiction {
    Jurisdiction {
        id: id.into(),
        level,
        parent_id: parent.map(str::to_string),
        name_zh: id.into(),
        name_en: None,
        polygon: vec![vec![vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]],
        seat: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_the_chain() {
        let t = Jurisdictions::new(vec![
            square("city", Level::CityBureau, None, [0.0, 0.0], [2.0, 2.0]),
            square("b1", Level::Bureau, Some("city"), [0.0, 0.0], [1.0, 2.0]),
            square("s1", Level::Station, Some("b1"), [0.0, 0.0], [1.0, 1.0]),
            square("c1", Level::Community, Some("s1"), [0.0, 0.0], [0.5, 1.0]),
            square("g1", Level::Grid, Some("c1"), [0.0, 0.0], [0.5, 0.5]),
        ])
        .unwrap();
        let p = t
            .resolve(LatLon {
                lat: 0.25,
                lon: 0.25,
            })
            .unwrap();
        assert_eq!(p.grid_id.as_deref(), Some("g1"));
        assert_eq!(p.station_id.as_deref(), Some("s1"));
        assert_eq!(p.bureau_id.as_deref(), Some("b1"));
        let p = t
            .resolve(LatLon {
                lat: 0.75,
                lon: 0.75,
            })
            .unwrap();
        assert_eq!(
            (p.station_id.as_deref(), p.community_id, p.grid_id),
            (Some("s1"), None, None)
        );
        assert!(
            t.resolve(LatLon { lat: 1.5, lon: 0.5 }).is_none(),
            "bureau without a station"
        );
        assert!(t.resolve(LatLon { lat: 5.0, lon: 5.0 }).is_none());
        assert!(t.is_within("g1", "b1") && !t.is_within("b1", "g1"));
        let back = Jurisdictions::from_geojson(&t.to_geojson(None)).unwrap();
        assert_eq!(back, t.all());
    }

    #[test]
    fn rejects_bad_trees() {
        let e = Jurisdictions::new(vec![square(
            "s",
            Level::Station,
            Some("nope"),
            [0.0, 0.0],
            [1.0, 1.0],
        )])
        .unwrap_err();
        assert!(e.to_string().contains("unknown parent nope"), "{e}");
        let e = Jurisdictions::from_geojson(
            &json!({"features":[{"properties":{"id":"x","level":"county"}}]}),
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("features[0].properties.level"));
    }
}
