//! Routes with names: the fastest drive between two points, with the
//! turn-by-turn steps a unit is guided by. Street names come from the places
//! index (by the OpenStreetMap way a road was cut from).

use std::sync::Arc;

use roads::{Graph, LatLon, Router, Step};

use crate::{AppError, ErrorKind, Refusal};

/// A route as the API answers it.
#[derive(Debug, Clone)]
pub struct RoutePlan {
    /// Driving time in seconds.
    pub seconds: f64,
    /// Length in metres.
    pub meters: f64,
    /// The polyline, start to destination.
    pub geometry: Vec<LatLon>,
    /// Depart, one step per street with its turn, arrive.
    pub steps: Vec<Step>,
}

/// Routers kept for reuse: each holds scratch memory the size of the graph,
/// so a request borrows one instead of allocating it.
#[derive(Default)]
pub(crate) struct RouterPool(std::sync::Mutex<Vec<Router<'static>>>);

impl RouterPool {
    fn take(&self, graph: &'static Graph) -> Router<'static> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_else(|| Router::new(graph))
    }

    fn give_back(&self, router: Router<'static>) {
        let mut pool = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // As many as requests ran at once, within reason.
        if pool.len() < 8 {
            pool.push(router);
        }
    }
}

/// The fastest route from `from` to `to` on `graph`, each point snapped to
/// a road within `max_snap_m`; `road_name` names road `r`'s street.
pub(crate) fn plan(
    pool: &RouterPool,
    graph: &'static Graph,
    road_name: &[Option<Arc<str>>],
    from: LatLon,
    to: LatLon,
    max_snap_m: f64,
) -> Result<RoutePlan, AppError> {
    let snap = |p: LatLon, field: &str| {
        graph
            .snap(p, max_snap_m)
            .map_err(|e| AppError::invalid(field, format!("{},{}: {e}", p.lat, p.lon)))
    };
    let (s, t) = (snap(from, "from")?, snap(to, "to")?);
    let mut router = pool.take(graph);
    let route = router.route(&s, &t, true);
    pool.give_back(router);
    let route = route.ok_or_else(|| {
        AppError::new(
            ErrorKind::Conflict,
            "no route: the destination cannot be reached from the start on this road network",
        )
    })?;
    let legs = route.legs.unwrap_or_default();
    let steps = roads::steps(graph, &legs, |r| {
        road_name.get(r as usize).cloned().flatten()
    });
    Ok(RoutePlan {
        seconds: route.ms as f64 / 1000.0,
        meters: route.cm as f64 / 100.0,
        geometry: route.geometry.unwrap_or_default(),
        steps,
    })
}
