//! Snapping a coordinate onto the nearest drivable road, as a partial edge.

use rstar::PointDistance;

use crate::graph::{Graph, NONE};
use crate::{LatLon, RoadsError};

/// How far a point may lie from the road it snaps to, metres, unless a
/// caller is told otherwise: the one default (dispatch config, CLI flags).
pub const DEFAULT_MAX_SNAP_M: f64 = 500.0;

/// A position on a road: where a unit or an incident really is on the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The road it lies on.
    pub road: u32,
    /// Position along the road as a fraction of its length from its start junction (0..=1).
    pub frac: f64,
    /// The point on the road.
    pub point: LatLon,
    /// Metres from the query coordinate to `point`.
    pub distance_m: f64,
}

/// Where a search starts or ends: a junction and the cost of the partial road to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seed {
    pub node: u32,
    pub ms: u32,
    pub cm: u32,
}

/// The share `frac` of `total`, rounded; identical wherever it is computed, so
/// every algorithm prices a partial edge the same.
#[inline]
pub(crate) fn part(total: u32, frac: f64) -> u32 {
    ((total as f64 * frac).round() as u32).min(total)
}

impl Snap {
    /// Seeds for leaving this position: drive on to the road's end, or back to its start.
    pub(crate) fn source_seeds(&self, g: &Graph) -> [Option<Seed>; 2] {
        let r = self.road as usize;
        let (f, b, cm) = (g.road_fwd_ms[r], g.road_bwd_ms[r], g.road_cm[r]);
        [
            (f != NONE).then(|| Seed {
                node: g.road_to[r],
                ms: f - part(f, self.frac),
                cm: cm - part(cm, self.frac),
            }),
            (b != NONE).then(|| Seed {
                node: g.road_from[r],
                ms: part(b, self.frac),
                cm: part(cm, self.frac),
            }),
        ]
    }

    /// Seeds for arriving here: from the road's start driving forward, or from its end driving back.
    pub(crate) fn target_seeds(&self, g: &Graph) -> [Option<Seed>; 2] {
        let r = self.road as usize;
        let (f, b, cm) = (g.road_fwd_ms[r], g.road_bwd_ms[r], g.road_cm[r]);
        [
            (f != NONE).then(|| Seed {
                node: g.road_from[r],
                ms: part(f, self.frac),
                cm: part(cm, self.frac),
            }),
            (b != NONE).then(|| Seed {
                node: g.road_to[r],
                ms: b - part(b, self.frac),
                cm: cm - part(cm, self.frac),
            }),
        ]
    }
}

/// The cost of driving from `s` to `t` along their shared road without leaving it, if possible.
pub(crate) fn direct(g: &Graph, s: &Snap, t: &Snap) -> Option<(u32, u32)> {
    if s.road != t.road {
        return None;
    }
    let r = s.road as usize;
    let (f, b, cm) = (g.road_fwd_ms[r], g.road_bwd_ms[r], g.road_cm[r]);
    let mut best: Option<(u32, u32)> = None;
    if f != NONE && t.frac >= s.frac {
        best = Some((
            part(f, t.frac) - part(f, s.frac),
            part(cm, t.frac) - part(cm, s.frac),
        ));
    }
    if b != NONE && t.frac <= s.frac {
        let c = (
            part(b, s.frac) - part(b, t.frac),
            part(cm, s.frac) - part(cm, t.frac),
        );
        if best.is_none_or(|x| c.0 < x.0) {
            best = Some(c);
        }
    }
    best
}

impl Graph {
    /// Snaps `p` onto the nearest road segment, projecting onto it.
    ///
    /// Fails with [`RoadsError::TooFarFromRoad`] (saying how far the nearest road
    /// is) when that is more than `max_distance_m` away.
    pub fn snap(&self, p: LatLon, max_distance_m: f64) -> Result<Snap, RoadsError> {
        if !p.is_valid() {
            return Err(RoadsError::InvalidCoordinate(p));
        }
        let xy = self.projection.to_xy(p);
        let seg = self
            .rtree
            .nearest_neighbor(&xy)
            .ok_or(RoadsError::EmptyGraph)?;
        let distance = seg.geom().distance_2(&xy).sqrt();
        if distance > max_distance_m {
            return Err(RoadsError::TooFarFromRoad {
                at: p,
                distance_m: distance,
                max_m: max_distance_m,
            });
        }
        let (road, s) = seg.data;
        Ok(self.position_on_road(road, s as usize, xy, distance))
    }

    fn position_on_road(&self, road: u32, seg: usize, xy: [f64; 2], distance_m: f64) -> Snap {
        let pts = self.road_geometry(road);
        let proj: Vec<[f64; 2]> = pts.iter().map(|&q| self.projection.to_xy(q)).collect();
        let len = |a: [f64; 2], b: [f64; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        let total: f64 = proj.windows(2).map(|w| len(w[0], w[1])).sum();
        let before: f64 = proj[..=seg].windows(2).map(|w| len(w[0], w[1])).sum();
        let (a, b) = (proj[seg], proj[seg + 1]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let l2 = dx * dx + dy * dy;
        let t = if l2 > 0.0 {
            (((xy[0] - a[0]) * dx + (xy[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let on = [a[0] + t * dx, a[1] + t * dy];
        let frac = if total > 0.0 {
            ((before + t * l2.sqrt()) / total).clamp(0.0, 1.0)
        } else {
            0.0
        };
        Snap {
            road,
            frac,
            point: self.projection.to_latlon(on),
            distance_m,
        }
    }

    /// A position on road `r` at fraction `frac` of its length (for tests and simulators).
    pub fn snap_on_road(&self, road: u32, frac: f64) -> Snap {
        let pts = self.road_geometry(road);
        let proj: Vec<[f64; 2]> = pts.iter().map(|&q| self.projection.to_xy(q)).collect();
        let len = |a: [f64; 2], b: [f64; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        let total: f64 = proj.windows(2).map(|w| len(w[0], w[1])).sum();
        let frac = frac.clamp(0.0, 1.0);
        let mut want = frac * total;
        let mut point = pts[pts.len() - 1];
        for (w, ll) in proj.windows(2).zip(pts.windows(2)) {
            let l = len(w[0], w[1]);
            if want <= l && l > 0.0 {
                let t = want / l;
                point = LatLon::new(
                    ll[0].lat + t * (ll[1].lat - ll[0].lat),
                    ll[0].lon + t * (ll[1].lon - ll[0].lon),
                );
                break;
            }
            want -= l;
        }
        Snap {
            road,
            frac,
            point,
            distance_m: 0.0,
        }
    }

    /// The coordinate at fraction `frac` along road `r`, and the part of its
    /// geometry between fractions `a` and `b` (a ≤ b), for drawing partial edges.
    pub fn road_part(&self, road: u32, a: f64, b: f64) -> Vec<LatLon> {
        let pts = self.road_geometry(road);
        let proj: Vec<[f64; 2]> = pts.iter().map(|&q| self.projection.to_xy(q)).collect();
        let seglen: Vec<f64> = proj
            .windows(2)
            .map(|w| ((w[0][0] - w[1][0]).powi(2) + (w[0][1] - w[1][1]).powi(2)).sqrt())
            .collect();
        let total: f64 = seglen.iter().sum();
        let (a, b) = (a.clamp(0.0, 1.0) * total, b.clamp(0.0, 1.0) * total);
        let mut out = Vec::new();
        let mut at = 0.0;
        for (i, &l) in seglen.iter().enumerate() {
            let (s, e) = (at, at + l);
            let interp = |x: f64| {
                let t = if l > 0.0 {
                    ((x - s) / l).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                LatLon::new(
                    pts[i].lat + t * (pts[i + 1].lat - pts[i].lat),
                    pts[i].lon + t * (pts[i + 1].lon - pts[i].lon),
                )
            };
            if e >= a && s <= b {
                if out.is_empty() {
                    out.push(interp(a.max(s)));
                }
                out.push(interp(b.min(e)));
            }
            at = e;
        }
        if out.len() == 1 {
            out.push(out[0]);
        }
        out
    }
}
