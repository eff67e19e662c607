//! GeoJSON (RFC 7946) answers built by the server: hotspot cells, hexagons
//! and road segments, the forecast's cells and the 1/3/5-minute areas.
//! Coordinates are `[lon, lat]`, as the standard orders them.

use serde::Serialize;
use utoipa::ToSchema;

/// A position, `[lon, lat]`.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(transparent)]
pub struct Position(pub [f64; 2]);

impl utoipa::PartialSchema for Position {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Number))
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some("[lon, lat]"))
            .into()
    }
}

impl ToSchema for Position {}

/// A geometry: its `type` and `coordinates`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", content = "coordinates")]
pub(crate) enum Geometry {
    LineString(Vec<Position>),
    /// Rings: the outer one first, then holes; each closed.
    Polygon(Vec<Vec<Position>>),
    MultiPolygon(Vec<Vec<Vec<Position>>>),
}

impl Geometry {
    /// A polygon from a `geo` polygon (its holes kept).
    pub(crate) fn polygon(p: &geo_types::Polygon<f64>) -> Geometry {
        Geometry::Polygon(rings(p))
    }

    /// One polygon, or a multipolygon of several.
    pub(crate) fn area(m: &geo_types::MultiPolygon<f64>) -> Geometry {
        match m.0.as_slice() {
            [one] => Geometry::polygon(one),
            many => Geometry::MultiPolygon(many.iter().map(rings).collect()),
        }
    }
}

fn rings(p: &geo_types::Polygon<f64>) -> Vec<Vec<Position>> {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|ring| ring.0.iter().map(|c| Position([c.x, c.y])).collect())
        .collect()
}

/// A feature: a geometry with its properties.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feature<P> {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) geometry: Geometry,
    pub(crate) properties: P,
}

impl<P> Feature<P> {
    pub(crate) fn new(geometry: Geometry, properties: P) -> Feature<P> {
        Feature {
            kind: "Feature",
            geometry,
            properties,
        }
    }
}

/// The value of a collection's `type`.
pub const FEATURE_COLLECTION: &str = "FeatureCollection";

/// A jurisdiction's identity, as a feature's properties.
#[derive(Debug, Serialize, ToSchema)]
pub struct JurisdictionProperties {
    pub(crate) id: String,
    /// city_bureau, bureau, station, community or grid.
    pub(crate) level: &'static str,
    pub(crate) parent_id: Option<String>,
    pub(crate) name_zh: String,
    pub(crate) name_en: Option<String>,
    /// Where its office is.
    pub(crate) seat: Option<Position>,
}

/// The jurisdiction tree (also the format `PUT /api/v1/jurisdictions` reads).
#[derive(Debug, Serialize, ToSchema)]
pub struct JurisdictionsOut {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) features: Vec<Feature<JurisdictionProperties>>,
}

impl JurisdictionsOut {
    /// These jurisdictions, as features.
    pub(crate) fn new<'a>(
        all: impl Iterator<Item = &'a dispatch::Jurisdiction>,
    ) -> JurisdictionsOut {
        let feature = |j: &dispatch::Jurisdiction| {
            let polygons = j.polygon.iter().map(|p| {
                p.iter()
                    .map(|ring| ring.iter().copied().map(Position).collect())
                    .collect()
            });
            let properties = JurisdictionProperties {
                id: j.id.clone(),
                level: j.level.as_str(),
                parent_id: j.parent_id.clone(),
                name_zh: j.name_zh.clone(),
                name_en: j.name_en.clone(),
                seat: j.seat.map(Position),
            };
            Feature::new(Geometry::MultiPolygon(polygons.collect()), properties)
        };
        JurisdictionsOut {
            kind: FEATURE_COLLECTION,
            features: all.map(feature).collect(),
        }
    }
}
