//! Isochrones: the roads, and the area, reachable within time limits.
//!
//! The reachable part of every road (partial edges included) comes from one
//! bounded Dijkstra. The area is drawn from those roads, not from a hull: the
//! reached road geometry is rasterised with each cell holding the earliest
//! arrival time near it (within one cell, so the shape is a band about one
//! cell wide around reachable roads), and marching squares traces each limit's
//! boundary. Unreached blocks, parks and rivers wider than about two cells
//! stay holes or outside.

use contour::ContourBuilder;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Value, json};

use crate::graph::{Graph, NONE};
use crate::plain::{Dijkstra, Direction};
use crate::snap::{Snap, part};
use crate::{LatLon, RoadsError};

/// A stretch of one road that is reachable, with the times at its two ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReachedPart {
    /// The road.
    pub road: u32,
    /// Where the stretch starts (fraction of the road from its start junction), reached at `from_ms`.
    pub from_frac: f64,
    /// Where it ends, reached at `to_ms`; smaller than `from_frac` when driven backwards.
    pub to_frac: f64,
    /// Time at `from_frac`.
    pub from_ms: u32,
    /// Time at `to_frac` (≤ the limit).
    pub to_ms: u32,
}

/// One limit's area.
#[derive(Debug, Clone, PartialEq)]
pub struct IsochroneArea {
    /// The limit in milliseconds.
    pub limit_ms: u32,
    /// The area in WGS84 (x = longitude, y = latitude).
    pub area: MultiPolygon<f64>,
}

/// The result of an isochrone query.
#[derive(Debug, Clone, PartialEq)]
pub struct Isochrones {
    /// Reachable road stretches within the largest limit.
    pub parts: Vec<ReachedPart>,
    /// One area per limit, in the order asked.
    pub areas: Vec<IsochroneArea>,
}

/// Options for [`isochrones`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsochroneOptions {
    /// Raster cell size in metres; `None` picks one from the reached extent (at least 25 m).
    pub cell_m: Option<f64>,
    /// Forward ("where can a unit get to") or backward ("from where is this place reached").
    pub direction: Direction,
}

impl Default for IsochroneOptions {
    fn default() -> Self {
        IsochroneOptions {
            cell_m: None,
            direction: Direction::Forward,
        }
    }
}

/// The road stretches reachable from (or, backwards, to) `origins` within `limit_ms`.
pub fn reachable_parts(
    dij: &mut Dijkstra<'_>,
    g: &Graph,
    origins: &[Snap],
    limit_ms: u32,
    dir: Direction,
) -> Vec<ReachedPart> {
    dij.from_origins(origins, limit_ms, dir);
    let mut parts = Vec::new();
    let span = |ms: u32, start: u32| -> f64 {
        if ms == 0 {
            1.0
        } else {
            (limit_ms - start) as f64 / ms as f64
        }
    };
    // Roads touching a settled junction, each handled once per end.
    for &v in dij.settled() {
        let d = dij.dist(v).expect("settled");
        let edges = match dir {
            Direction::Forward => g.out_edges(v),
            Direction::Backward => g.in_edges(v),
        };
        for e in edges {
            let road = e.road_dir >> 1;
            let backward = e.road_dir & 1 == 1;
            // The road is entered at v; forward search drives along it,
            // backward search drives it in reverse (towards v).
            let s = span(e.ms, d).min(1.0);
            let starts_at_end = backward == (dir == Direction::Forward);
            let (start, end) = if starts_at_end {
                (1.0, 1.0 - s)
            } else {
                (0.0, s)
            };
            let reach_ms = d + part(e.ms, s);
            parts.push(ReachedPart {
                road,
                from_frac: start,
                to_frac: end,
                from_ms: d,
                to_ms: reach_ms.min(limit_ms),
            });
        }
    }
    // The origins' own roads, from the origin point outwards.
    for o in origins {
        let r = o.road as usize;
        let (f, b) = (g.road_fwd_ms[r], g.road_bwd_ms[r]);
        let (along, against) = match dir {
            Direction::Forward => (f, b),
            Direction::Backward => (b, f),
        };
        if along != NONE {
            let s = span(along, 0).min(1.0 - o.frac);
            parts.push(ReachedPart {
                road: o.road,
                from_frac: o.frac,
                to_frac: o.frac + s,
                from_ms: 0,
                to_ms: part(along, s),
            });
        }
        if against != NONE {
            let s = span(against, 0).min(o.frac);
            parts.push(ReachedPart {
                road: o.road,
                from_frac: o.frac,
                to_frac: o.frac - s,
                from_ms: 0,
                to_ms: part(against, s),
            });
        }
    }
    parts
}

/// Isochrones around `origins` for each limit in `limits_ms`.
pub fn isochrones(
    g: &Graph,
    origins: &[Snap],
    limits_ms: &[u32],
    options: &IsochroneOptions,
) -> Result<Isochrones, RoadsError> {
    let max = *limits_ms
        .iter()
        .max()
        .ok_or_else(|| RoadsError::InvalidArgument("no time limits given".into()))?;
    if origins.is_empty() {
        return Err(RoadsError::InvalidArgument("no origins given".into()));
    }
    let mut dij = Dijkstra::new(g);
    let parts = reachable_parts(&mut dij, g, origins, max, options.direction);
    let areas = rasterise(g, &parts, limits_ms, options.cell_m);
    Ok(Isochrones { parts, areas })
}

fn rasterise(
    g: &Graph,
    parts: &[ReachedPart],
    limits_ms: &[u32],
    cell_m: Option<f64>,
) -> Vec<IsochroneArea> {
    let proj = g.projection();
    // Sample each part's geometry with its time.
    let mut samples: Vec<([f64; 2], f64)> = Vec::new();
    let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let mut polylines: Vec<(Vec<[f64; 2]>, f64, f64)> = Vec::with_capacity(parts.len());
    for p in parts {
        let (lo, hi) = (p.from_frac.min(p.to_frac), p.from_frac.max(p.to_frac));
        let mut pts: Vec<[f64; 2]> = g
            .road_part(p.road, lo, hi)
            .into_iter()
            .map(|q| proj.to_xy(q))
            .collect();
        if p.to_frac < p.from_frac {
            pts.reverse();
        }
        for q in &pts {
            bbox = [
                bbox[0].min(q[0]),
                bbox[1].min(q[1]),
                bbox[2].max(q[0]),
                bbox[3].max(q[1]),
            ];
        }
        polylines.push((pts, p.from_ms as f64, p.to_ms as f64));
    }
    if polylines.is_empty() {
        return limits_ms
            .iter()
            .map(|&l| IsochroneArea {
                limit_ms: l,
                area: MultiPolygon(vec![]),
            })
            .collect();
    }
    let extent = (bbox[2] - bbox[0]).max(bbox[3] - bbox[1]);
    let cell = cell_m.unwrap_or((extent / 160.0).max(25.0));
    let margin = 3.0 * cell;
    let (x0, y0) = (bbox[0] - margin, bbox[1] - margin);
    let dx = (((bbox[2] + margin) - x0) / cell).ceil() as usize + 1;
    let dy = (((bbox[3] + margin) - y0) / cell).ceil() as usize + 1;
    for (pts, ta, tb) in &polylines {
        let total: f64 = pts.windows(2).map(|w| dist(w[0], w[1])).sum();
        let mut along = 0.0;
        if pts.len() == 1 || total == 0.0 {
            samples.push((pts[0], *ta));
            continue;
        }
        for w in pts.windows(2) {
            let l = dist(w[0], w[1]);
            let steps = (l / (cell * 0.5)).ceil().max(1.0) as usize;
            for k in 0..=steps {
                let t = k as f64 / steps as f64;
                let q = [
                    w[0][0] + t * (w[1][0] - w[0][0]),
                    w[0][1] + t * (w[1][1] - w[0][1]),
                ];
                let time = ta + (tb - ta) * ((along + t * l) / total);
                samples.push((q, time));
            }
            along += l;
        }
    }
    const UNREACHED: f64 = -1.0e12;
    let mut values = vec![UNREACHED; dx * dy];
    // Each sample marks its own cell; a separable 3×3 max filter then widens
    // every reached cell by one cell (cheaper than stamping nine cells per sample).
    for (q, time) in samples {
        let cx = ((q[0] - x0) / cell).round() as usize;
        let cy = ((q[1] - y0) / cell).round() as usize;
        if cx < dx && cy < dy {
            let v = &mut values[cy * dx + cx];
            *v = v.max(-time);
        }
    }
    let mut rows = values.clone();
    for y in 0..dy {
        let row = &values[y * dx..(y + 1) * dx];
        let out = &mut rows[y * dx..(y + 1) * dx];
        for x in 0..dx {
            let lo = x.saturating_sub(1);
            let hi = (x + 1).min(dx - 1);
            out[x] = row[lo].max(row[x]).max(row[hi]);
        }
    }
    for y in 0..dy {
        let (lo, hi) = (y.saturating_sub(1), (y + 1).min(dy - 1));
        for x in 0..dx {
            values[y * dx + x] = rows[lo * dx + x]
                .max(rows[y * dx + x])
                .max(rows[hi * dx + x]);
        }
    }
    let builder = ContourBuilder::new(dx, dy, true)
        .x_origin(x0)
        .y_origin(y0)
        .x_step(cell)
        .y_step(cell);
    limits_ms
        .iter()
        .map(|&limit| {
            // Values are negated times: "time ≤ limit" is "value ≥ −limit".
            let threshold = -(limit as f64) - 0.5;
            let area = builder
                .contours(&values, &[threshold])
                .ok()
                .and_then(|mut c| c.pop())
                .map(|c| c.into_inner().0)
                .unwrap_or_else(|| MultiPolygon(vec![]));
            IsochroneArea {
                limit_ms: limit,
                area: to_lonlat(g, area),
            }
        })
        .collect()
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

fn to_lonlat(g: &Graph, mp: MultiPolygon<f64>) -> MultiPolygon<f64> {
    let proj = g.projection();
    let ring = |ls: &LineString<f64>| {
        LineString(
            ls.0.iter()
                .map(|c| {
                    let p: LatLon = proj.to_latlon([c.x, c.y]);
                    Coord {
                        x: (p.lon * 1e7).round() / 1e7,
                        y: (p.lat * 1e7).round() / 1e7,
                    }
                })
                .collect(),
        )
    };
    MultiPolygon(
        mp.0.iter()
            .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
            .collect(),
    )
}

/// Isochrones as a GeoJSON FeatureCollection: one feature per limit with
/// properties `minutes` and `seconds`, geometry a Polygon or MultiPolygon.
pub fn to_geojson(iso: &Isochrones) -> Value {
    let ring =
        |ls: &LineString<f64>| Value::Array(ls.0.iter().map(|c| json!([c.x, c.y])).collect());
    let poly = |p: &Polygon<f64>| {
        let mut rings = vec![ring(p.exterior())];
        rings.extend(p.interiors().iter().map(ring));
        Value::Array(rings)
    };
    let features: Vec<Value> = iso
        .areas
        .iter()
        .map(|a| {
            let geometry = if a.area.0.len() == 1 {
                json!({"type": "Polygon", "coordinates": poly(&a.area.0[0])})
            } else {
                json!({"type": "MultiPolygon", "coordinates": a.area.0.iter().map(poly).collect::<Vec<_>>()})
            };
            json!({
                "type": "Feature",
                "properties": {"minutes": a.limit_ms as f64 / 60_000.0, "seconds": a.limit_ms as f64 / 1000.0},
                "geometry": geometry,
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}
