//! Travel times behind a small trait, so the engine can be tested on a toy
//! geometry and run on the real road graph.

use roads::{Graph, LatLon, PreparedSources, RoadsError, Router, Snap, haversine_m};

/// Where things are on the network and how long driving between them takes.
pub trait TravelTimes: Send {
    /// Places `p` on the network; fails when it is further than `max_m` from any road.
    fn locate(&self, p: LatLon, max_m: f64) -> Result<Snap, RoadsError>;
    /// Seconds from each fleet member to `target` (`None`: no position or unreachable).
    /// `fleet_version` changes whenever the fleet does, so an implementation may cache.
    fn seconds_to(
        &mut self,
        fleet: &[Option<Snap>],
        fleet_version: u64,
        target: &Snap,
    ) -> Vec<Option<f64>>;
    /// The fastest route: seconds and polyline.
    fn route(&mut self, from: &Snap, to: &Snap) -> Option<(f64, Vec<LatLon>)>;
}

/// Travel times on the road graph (contraction hierarchy; the fleet is
/// prepared once per version and reused for every incident).
pub struct RoadTravel {
    router: Router<'static>,
    prepared: Option<(u64, PreparedSources)>,
}

impl RoadTravel {
    /// Routes on `graph` (which lives as long as the process).
    pub fn new(graph: &'static Graph) -> Self {
        RoadTravel {
            router: Router::new(graph),
            prepared: None,
        }
    }
}

impl TravelTimes for RoadTravel {
    fn locate(&self, p: LatLon, max_m: f64) -> Result<Snap, RoadsError> {
        self.router.graph().snap(p, max_m)
    }

    fn seconds_to(
        &mut self,
        fleet: &[Option<Snap>],
        fleet_version: u64,
        target: &Snap,
    ) -> Vec<Option<f64>> {
        if self
            .prepared
            .as_ref()
            .is_none_or(|(v, p)| *v != fleet_version || p.len() != fleet.len())
        {
            self.prepared = Some((fleet_version, self.router.prepare_sources(fleet)));
        }
        let (_, prepared) = self.prepared.as_ref().expect("prepared above");
        self.router
            .many_to_one_prepared(prepared, target, None)
            .into_iter()
            .map(|ms| ms.map(|ms| ms as f64 / 1000.0))
            .collect()
    }

    fn route(&mut self, from: &Snap, to: &Snap) -> Option<(f64, Vec<LatLon>)> {
        let r = self.router.route(from, to, true)?;
        Some((r.seconds(), r.geometry.unwrap_or_default()))
    }
}

/// Straight lines at a constant speed: a toy geometry for tests.
#[derive(Debug, Clone)]
pub struct StraightLine {
    /// Metres per second.
    pub speed_mps: f64,
}

impl TravelTimes for StraightLine {
    fn locate(&self, p: LatLon, _max_m: f64) -> Result<Snap, RoadsError> {
        if !p.is_valid() {
            return Err(RoadsError::InvalidCoordinate(p));
        }
        Ok(Snap {
            road: 0,
            frac: 0.0,
            point: p,
            distance_m: 0.0,
        })
    }
    fn seconds_to(&mut self, fleet: &[Option<Snap>], _v: u64, target: &Snap) -> Vec<Option<f64>> {
        fleet
            .iter()
            .map(|s| s.map(|s| haversine_m(s.point, target.point) / self.speed_mps))
            .collect()
    }
    fn route(&mut self, from: &Snap, to: &Snap) -> Option<(f64, Vec<LatLon>)> {
        Some((
            haversine_m(from.point, to.point) / self.speed_mps,
            vec![from.point, to.point],
        ))
    }
}
