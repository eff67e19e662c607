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

/// The language of a step's instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// `en` or `zh` (also `zh-CN`).
    pub fn parse(s: &str) -> Option<Lang> {
        match s.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "zh" | "zh-cn" => Some(Lang::Zh),
            _ => None,
        }
    }
}

/// What the officer hears or reads for a step: "Turn left onto Rua X",
/// "左转进入建国路".
pub fn instruction(step: &Step, lang: Lang) -> String {
    use roads::Turn::*;
    let street = step.street.as_deref();
    match lang {
        Lang::En => {
            let onto = street.map_or("the road".to_string(), |s| s.to_string());
            match step.turn {
                Depart => format!("Head off on {onto}"),
                Straight => format!("Continue onto {onto}"),
                SlightLeft => format!("Bear left onto {onto}"),
                Left => format!("Turn left onto {onto}"),
                SharpLeft => format!("Turn sharp left onto {onto}"),
                SlightRight => format!("Bear right onto {onto}"),
                Right => format!("Turn right onto {onto}"),
                SharpRight => format!("Turn sharp right onto {onto}"),
                UTurn => format!("Make a U-turn onto {onto}"),
                Arrive => match street {
                    Some(s) => format!("Arrive on {s}"),
                    None => "Arrive".to_string(),
                },
            }
        }
        Lang::Zh => {
            let onto = street.map_or("道路".to_string(), |s| s.to_string());
            match step.turn {
                Depart => format!("沿{onto}出发"),
                Straight => format!("直行进入{onto}"),
                SlightLeft => format!("向左前方进入{onto}"),
                Left => format!("左转进入{onto}"),
                SharpLeft => format!("向左急转进入{onto}"),
                SlightRight => format!("向右前方进入{onto}"),
                Right => format!("右转进入{onto}"),
                SharpRight => format!("向右急转进入{onto}"),
                UTurn => format!("掉头进入{onto}"),
                Arrive => match street {
                    Some(s) => format!("到达{s}"),
                    None => "到达目的地".to_string(),
                },
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_name_the_turn_and_the_street_in_both_languages() {
        let step = |turn, street: Option<&str>| Step {
            turn,
            street: street.map(Arc::from),
            meters: 10.0,
            seconds: 1.0,
            at: LatLon::new(0.0, 0.0),
            bearing: 0.0,
        };
        let left = step(roads::Turn::Left, Some("建国路"));
        assert_eq!(instruction(&left, Lang::Zh), "左转进入建国路");
        assert_eq!(instruction(&left, Lang::En), "Turn left onto 建国路");
        let arrive = step(roads::Turn::Arrive, None);
        assert_eq!(instruction(&arrive, Lang::Zh), "到达目的地");
        assert_eq!(
            instruction(&step(roads::Turn::Depart, None), Lang::En),
            "Head off on the road"
        );
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("fr"), None);
    }
}
