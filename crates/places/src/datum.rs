//! The datums of phone fixes in China. Maps and apps in mainland China
//! report GCJ-02 (a legally mandated, deliberately distorted datum: 100 to
//! 700 m off WGS-84) or Baidu's BD-09 (GCJ-02 shifted again), often while
//! labelling it WGS-84. The forward transforms are the published formulas;
//! there is no closed-form inverse, and the usual one-step inverse (subtract
//! the offset found at the distorted point) is off by up to ~4 m, so the
//! inverse here iterates that step until it moves less than 1e-12 degrees
//! (a round trip then agrees to well under a centimetre).

use crate::PlacesError;

/// A geodetic datum of a latitude/longitude pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Datum {
    /// GPS, OpenStreetMap, pingan's own.
    Wgs84,
    /// China's "Mars coordinates" (AutoNavi/Amap, Tencent, WeChat, Apple in China).
    Gcj02,
    /// Baidu Maps.
    Bd09,
}

impl Datum {
    /// Every datum.
    pub const ALL: [Datum; 3] = [Datum::Wgs84, Datum::Gcj02, Datum::Bd09];

    /// `wgs84`, `gcj02` or `bd09`.
    pub fn as_str(self) -> &'static str {
        match self {
            Datum::Wgs84 => "wgs84",
            Datum::Gcj02 => "gcj02",
            Datum::Bd09 => "bd09",
        }
    }

    /// Reads `wgs84`, `gcj02` or `bd09` (case and `-`/`_` ignored).
    pub fn parse(s: &str) -> Result<Datum, PlacesError> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        Datum::ALL
            .into_iter()
            .find(|d| d.as_str() == key)
            .ok_or_else(|| PlacesError::Invalid {
                field: "datum".into(),
                message: format!("{s:?} is not a datum; use wgs84, gcj02 or bd09"),
            })
    }
}

/// Semi-major axis and eccentricity squared of the Krasovsky 1940 ellipsoid,
/// as the GCJ-02 formulas use them.
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
/// Baidu's rotation constant (π · 3000 / 180).
const X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;

/// Whether GCJ-02 applies: outside this box (mainland China, roughly) the
/// published formulas leave coordinates as they are.
pub fn in_china(lat: f64, lon: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS-84 to GCJ-02 (the published formula).
pub fn wgs84_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    if !in_china(lat, lon) {
        return (lat, lon);
    }
    let dlat = transform_lat(lon - 105.0, lat - 35.0);
    let dlon = transform_lon(lon - 105.0, lat - 35.0);
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (A / sqrt_magic * rad.cos() * PI);
    (lat + dlat, lon + dlon)
}

/// GCJ-02 to BD-09 (Baidu's published formula).
pub fn gcj02_to_bd09(lat: f64, lon: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// The usual one-step inverse of `forward`: subtract the offset found at
/// the distorted point. Off by up to a few metres; kept to show why.
pub fn one_step_inverse(forward: fn(f64, f64) -> (f64, f64), lat: f64, lon: f64) -> (f64, f64) {
    let (flat, flon) = forward(lat, lon);
    (lat - (flat - lat), lon - (flon - lon))
}

/// The exact inverse of `forward`: the one-step inverse, iterated (a
/// fixed-point iteration on the offset) until it moves less than 1e-12°.
pub fn inverse(forward: fn(f64, f64) -> (f64, f64), lat: f64, lon: f64) -> (f64, f64) {
    let (mut plat, mut plon) = one_step_inverse(forward, lat, lon);
    for _ in 0..50 {
        let (flat, flon) = forward(plat, plon);
        let (elat, elon) = (flat - lat, flon - lon);
        plat -= elat;
        plon -= elon;
        if elat.abs() < 1e-12 && elon.abs() < 1e-12 {
            break;
        }
    }
    (plat, plon)
}

/// A point from one datum to another.
pub fn convert(from: Datum, to: Datum, lat: f64, lon: f64) -> (f64, f64) {
    let wgs = match from {
        Datum::Wgs84 => (lat, lon),
        Datum::Gcj02 => inverse(wgs84_to_gcj02, lat, lon),
        Datum::Bd09 => inverse(wgs84_to_bd09, lat, lon),
    };
    match to {
        Datum::Wgs84 => wgs,
        Datum::Gcj02 => wgs84_to_gcj02(wgs.0, wgs.1),
        Datum::Bd09 => wgs84_to_bd09(wgs.0, wgs.1),
    }
}

fn wgs84_to_bd09(lat: f64, lon: f64) -> (f64, f64) {
    let (g_lat, g_lon) = wgs84_to_gcj02(lat, lon);
    gcj02_to_bd09(g_lat, g_lon)
}

/// Great-circle metres between two points.
pub fn meters(a: (f64, f64), b: (f64, f64)) -> f64 {
    roads::haversine_m(roads::LatLon::new(a.0, a.1), roads::LatLon::new(b.0, b.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Suzhou's Wuzhong district, where the source report's figures come from.
    const WUZHONG: (f64, f64) = (31.2627, 120.6320);

    #[test]
    fn the_offsets_are_the_known_ones() {
        let (g_lat, g_lon) = wgs84_to_gcj02(WUZHONG.0, WUZHONG.1);
        let gcj = meters(WUZHONG, (g_lat, g_lon));
        assert!(
            (300.0..500.0).contains(&gcj),
            "GCJ-02 offset at Wuzhong {gcj} m"
        );
        let bd = meters(
            WUZHONG,
            convert(Datum::Wgs84, Datum::Bd09, WUZHONG.0, WUZHONG.1),
        );
        assert!(
            (600.0..1600.0).contains(&bd),
            "BD-09 offset at Wuzhong {bd} m"
        );
        // Outside China nothing moves.
        assert_eq!(wgs84_to_gcj02(41.1496, -8.6109), (41.1496, -8.6109));
    }

    #[test]
    fn the_one_step_inverse_is_metres_off_and_the_iterated_one_is_not() {
        let mut worst_one_step: f64 = 0.0;
        let mut worst_iterated: f64 = 0.0;
        for i in 0..200 {
            let lat = 20.0 + (i as f64) * 0.17;
            let lon = 100.0 + (i as f64) * 0.13;
            let (g_lat, g_lon) = wgs84_to_gcj02(lat, lon);
            worst_one_step = worst_one_step.max(meters(
                (lat, lon),
                one_step_inverse(wgs84_to_gcj02, g_lat, g_lon),
            ));
            worst_iterated =
                worst_iterated.max(meters((lat, lon), inverse(wgs84_to_gcj02, g_lat, g_lon)));
        }
        assert!(worst_one_step > 0.5, "one step: {worst_one_step} m");
        assert!(worst_iterated < 0.001, "iterated: {worst_iterated} m");
    }

    #[test]
    fn datums_are_read_by_name() {
        assert_eq!(Datum::parse("GCJ-02").unwrap(), Datum::Gcj02);
        assert_eq!(Datum::parse("bd09").unwrap(), Datum::Bd09);
        assert_eq!(Datum::parse("WGS_84").unwrap(), Datum::Wgs84);
        assert!(
            Datum::parse("utm")
                .unwrap_err()
                .to_string()
                .starts_with("datum:")
        );
    }

    proptest! {
        /// Every conversion and its way back agree to 0.01 m anywhere in China.
        #[test]
        fn round_trips_agree_to_a_centimetre(lat in 18.0f64..53.0, lon in 74.0f64..134.0) {
            for from in Datum::ALL {
                for to in Datum::ALL {
                    let there = convert(from, to, lat, lon);
                    let back = convert(to, from, there.0, there.1);
                    prop_assert!(meters((lat, lon), back) <= 0.01, "{from:?}->{to:?}: {back:?}");
                }
            }
        }
    }
}
