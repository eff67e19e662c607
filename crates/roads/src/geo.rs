//! Geodesy helpers: great-circle lengths and a local planar projection.

/// A WGS84 coordinate in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LatLon {
    /// Latitude in degrees, −90..=90.
    pub lat: f64,
    /// Longitude in degrees, −180..=180.
    pub lon: f64,
}

impl LatLon {
    /// A coordinate from latitude and longitude in degrees.
    pub const fn new(lat: f64, lon: f64) -> Self {
        LatLon { lat, lon }
    }

    /// True when both parts are finite and within their ranges.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// Mean Earth radius in metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres (haversine).
pub fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// Length of a polyline in metres.
pub fn polyline_m(points: &[LatLon]) -> f64 {
    points.windows(2).map(|w| haversine_m(w[0], w[1])).sum()
}

/// An equirectangular projection centred on one point: metres east and north.
///
/// Within a city (tens of kilometres) its distortion is far below the precision
/// of the map data, and it is cheap enough for snapping and rasterising.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalProjection {
    origin: LatLon,
    m_per_deg_lon: f64,
    m_per_deg_lat: f64,
}

impl LocalProjection {
    /// A projection centred on `origin`.
    pub fn new(origin: LatLon) -> Self {
        let m_per_deg_lat = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        LocalProjection {
            origin,
            m_per_deg_lat,
            m_per_deg_lon: m_per_deg_lat * origin.lat.to_radians().cos(),
        }
    }

    /// The centre of the projection.
    pub fn origin(&self) -> LatLon {
        self.origin
    }

    /// Degrees to metres `[east, north]`.
    pub fn to_xy(&self, p: LatLon) -> [f64; 2] {
        [
            (p.lon - self.origin.lon) * self.m_per_deg_lon,
            (p.lat - self.origin.lat) * self.m_per_deg_lat,
        ]
    }

    /// Metres `[east, north]` back to degrees.
    pub fn to_latlon(&self, xy: [f64; 2]) -> LatLon {
        LatLon {
            lat: self.origin.lat + xy[1] / self.m_per_deg_lat,
            lon: self.origin.lon + xy[0] / self.m_per_deg_lon,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_known_distance() {
        // One degree of latitude is ~111.2 km everywhere.
        let d = haversine_m(LatLon::new(41.0, -8.6), LatLon::new(42.0, -8.6));
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
    }

    #[test]
    fn projection_round_trips() {
        let p = LocalProjection::new(LatLon::new(41.15, -8.61));
        let q = LatLon::new(41.2, -8.5);
        let back = p.to_latlon(p.to_xy(q));
        assert!((back.lat - q.lat).abs() < 1e-12 && (back.lon - q.lon).abs() < 1e-12);
        // Projected distance agrees with the great-circle one to 0.1% at city scale.
        let [x, y] = p.to_xy(q);
        let planar = (x * x + y * y).sqrt();
        let great = haversine_m(p.origin(), q);
        assert!((planar - great).abs() / great < 1e-3, "{planar} vs {great}");
    }
}
