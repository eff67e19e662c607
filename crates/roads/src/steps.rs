//! Turn-by-turn steps of a route: one step per stretch of one street, with the
//! turn onto it, so a unit can be guided ("turn left onto 建国路, 420 m").
//!
//! The graph knows no names; the caller says which roads share a street
//! (`name_of`, e.g. from the places index by OSM way). Unnamed roads are one
//! street per OSM way, so a route over service roads still has its turns.

use std::sync::Arc;

use crate::geo::LatLon;
use crate::graph::Graph;
use crate::query::Leg;

/// The manoeuvre that starts a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Turn {
    /// Leave the start point.
    Depart,
    /// Carry on (within 20° of straight ahead).
    Straight,
    /// Bear left (20–60°).
    SlightLeft,
    /// Turn left (60–135°).
    Left,
    /// Turn sharp left (135–170°).
    SharpLeft,
    /// Bear right.
    SlightRight,
    /// Turn right.
    Right,
    /// Turn sharp right.
    SharpRight,
    /// Turn back (more than 170°).
    UTurn,
    /// The destination is reached.
    Arrive,
}

impl Turn {
    /// The turn for a change of heading of `delta` degrees (positive: clockwise, to the right).
    pub fn from_delta(delta: f64) -> Turn {
        let d = delta.abs();
        let right = delta > 0.0;
        match d {
            d if d < 20.0 => Turn::Straight,
            d if d < 60.0 => pick(right, Turn::SlightRight, Turn::SlightLeft),
            d if d < 135.0 => pick(right, Turn::Right, Turn::Left),
            d if d <= 170.0 => pick(right, Turn::SharpRight, Turn::SharpLeft),
            _ => Turn::UTurn,
        }
    }

    /// The wire name (`slight_left`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Turn::Depart => "depart",
            Turn::Straight => "straight",
            Turn::SlightLeft => "slight_left",
            Turn::Left => "left",
            Turn::SharpLeft => "sharp_left",
            Turn::SlightRight => "slight_right",
            Turn::Right => "right",
            Turn::SharpRight => "sharp_right",
            Turn::UTurn => "uturn",
            Turn::Arrive => "arrive",
        }
    }
}

fn pick(right: bool, r: Turn, l: Turn) -> Turn {
    if right { r } else { l }
}

/// One step: the turn at (`lat`, `lon`) onto a street, and how far and how
/// long the route then stays on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The manoeuvre at the start of the step.
    pub turn: Turn,
    /// The street's name (`None`: an unnamed road).
    pub street: Option<Arc<str>>,
    /// Metres on this street.
    pub meters: f64,
    /// Seconds on this street.
    pub seconds: f64,
    /// Where the manoeuvre is.
    pub at: LatLon,
    /// Heading after the manoeuvre, degrees clockwise from north.
    pub bearing: f64,
}

/// Which street a road belongs to: a name, or (unnamed) its OSM way.
#[derive(PartialEq)]
enum StreetKey {
    Named(Arc<str>),
    Way(i64),
}

/// The steps of a route's legs (see [`crate::Route::legs`]): a depart step,
/// one step per change of street with its turn, and an arrive step.
pub fn steps(g: &Graph, legs: &[Leg], name_of: impl Fn(u32) -> Option<Arc<str>>) -> Vec<Step> {
    let proj = g.projection();
    let mut out: Vec<Step> = Vec::new();
    let mut street: Option<StreetKey> = None;
    let mut heading_in: Option<f64> = None;
    let mut last_point: Option<LatLon> = None;
    for leg in legs {
        let pts = leg.geometry(g);
        let xy: Vec<[f64; 2]> = pts.iter().map(|&p| proj.to_xy(p)).collect();
        let (Some(first), Some(last)) = (heading(&xy, false), heading(&xy, true)) else {
            continue; // a leg of no length turns nothing
        };
        let name = name_of(leg.road);
        let key = match &name {
            Some(n) => StreetKey::Named(n.clone()),
            None => StreetKey::Way(g.road_source(leg.road)),
        };
        if street.as_ref() != Some(&key) {
            let turn = match heading_in {
                None => Turn::Depart,
                Some(h) => Turn::from_delta(signed_delta(h, first)),
            };
            out.push(Step {
                turn,
                street: name,
                meters: 0.0,
                seconds: 0.0,
                at: pts[0],
                bearing: first,
            });
            street = Some(key);
        }
        let step = out.last_mut().expect("pushed above");
        step.meters += leg.meters(g);
        step.seconds += leg.seconds(g);
        heading_in = Some(last);
        last_point = pts.last().copied();
    }
    if heading_in.is_none() {
        // Already there: the route has no length, only an arrival.
        if let Some(at) = legs.first().and_then(|l| l.geometry(g).first().copied()) {
            out.push(Step {
                turn: Turn::Arrive,
                street: legs.first().and_then(|l| name_of(l.road)),
                meters: 0.0,
                seconds: 0.0,
                at,
                bearing: 0.0,
            });
        }
        return out;
    }
    if let (Some(at), Some(bearing)) = (last_point, heading_in) {
        out.push(Step {
            turn: Turn::Arrive,
            street: out.last().and_then(|s| s.street.clone()),
            meters: 0.0,
            seconds: 0.0,
            at,
            bearing,
        });
    }
    out
}

/// Heading (degrees clockwise from north) of a polyline's first or last
/// segment of any length, in local metres.
fn heading(xy: &[[f64; 2]], at_end: bool) -> Option<f64> {
    let pair = |a: [f64; 2], b: [f64; 2]| {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        (dx.abs() + dy.abs() > 1e-6).then(|| dx.atan2(dy).to_degrees().rem_euclid(360.0))
    };
    if at_end {
        xy.windows(2).rev().find_map(|w| pair(w[0], w[1]))
    } else {
        xy.windows(2).find_map(|w| pair(w[0], w[1]))
    }
}

/// `to − from` in (−180°, 180°].
fn signed_delta(from: f64, to: f64) -> f64 {
    let d = (to - from).rem_euclid(360.0);
    if d > 180.0 { d - 360.0 } else { d }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_follow_the_change_of_heading() {
        assert_eq!(Turn::from_delta(5.0), Turn::Straight);
        assert_eq!(Turn::from_delta(-30.0), Turn::SlightLeft);
        assert_eq!(Turn::from_delta(90.0), Turn::Right);
        assert_eq!(Turn::from_delta(-90.0), Turn::Left);
        assert_eq!(Turn::from_delta(150.0), Turn::SharpRight);
        assert_eq!(Turn::from_delta(179.0), Turn::UTurn);
        assert_eq!(signed_delta(350.0, 10.0), 20.0);
        assert_eq!(signed_delta(10.0, 350.0), -20.0);
        assert_eq!(signed_delta(0.0, 270.0), -90.0);
    }

    #[test]
    fn headings_skip_zero_length_segments() {
        let xy = [
            [0.0, 0.0],
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [10.0, 10.0],
        ];
        assert_eq!(heading(&xy, false), Some(90.0));
        assert_eq!(heading(&xy, true), Some(0.0));
        assert_eq!(heading(&[[1.0, 1.0], [1.0, 1.0]], false), None);
    }
}
