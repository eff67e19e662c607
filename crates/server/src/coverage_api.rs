//! Coverage planning over the API: evaluate the posts (or any plan) against
//! demand from past incidents, community seats or a given list, and choose
//! better posts. The numbers come from `coverage`; this module only gathers
//! the inputs from the live state and shapes the answer.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use dispatch::{IncidentStatus, LatLon, Level};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::wire;

use crate::App;
use crate::auth::{Action, User};
use crate::error::{ApiError, ApiJson};
use app::Refusal;

/// Where demand comes from.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Demand {
    /// `incidents` (past incidents, weighted 5 - priority), `communities` (community seats).
    Named(String),
    /// `[[lat, lon, weight], ...]`.
    Points(Vec<[f64; 3]>),
}

/// Which sites.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Sites {
    /// `posts`, `posts:day`, `posts:night`, `grid:<metres>` (candidates only).
    Named(String),
    /// `[[lat, lon], ...]`.
    Points(Vec<[f64; 2]>),
}

/// `POST /api/v1/coverage/evaluate` and `/optimise`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    demand: Option<Demand>,
    sites: Option<Sites>,
    minutes: Option<Vec<f64>>,
    weights: Option<Vec<f64>>,
    /// Optimise: how many sites.
    k: Option<usize>,
    /// Optimise: candidate sites (default: the posts and a 500 m grid of junctions).
    candidates: Option<Sites>,
    /// Optimise: keep the current posts and add `k` more.
    keep_sites: Option<bool>,
    /// Only incidents since this RFC 3339 time (demand = incidents).
    since: Option<String>,
    /// Only incidents of this shift: `day` (07:00-19:00 local) or `night` (demand = incidents).
    shift: Option<String>,
    /// Optimise: weight per unit of demand reached twice within the last tier.
    backup_weight: Option<f64>,
}

struct Inputs {
    demand: Vec<(roads::Snap, f64)>,
    tier_s: Vec<u32>,
    minutes: Vec<f64>,
    weights: Vec<f64>,
}

fn snap_all(
    app: &App,
    points: impl Iterator<Item = LatLon>,
    field: &'static str,
) -> Result<Vec<roads::Snap>, ApiError> {
    points
        .enumerate()
        .map(|(n, p)| {
            if !p.is_valid() {
                return Err(ApiError::invalid(
                    field,
                    format!("{field}[{n}]: coordinate out of range"),
                ));
            }
            app.graph()
                .snap(p, app.settings().dispatch.max_snap_m)
                .map_err(|e| ApiError::invalid(field, format!("{field}[{n}]: {e}")))
        })
        .collect()
}

fn sites(
    app: &App,
    user: &User,
    sites: &Sites,
    field: &'static str,
) -> Result<Vec<roads::Snap>, ApiError> {
    let in_scope = |station: &str| {
        user.scope
            .as_deref()
            .is_none_or(|s| app.jurisdictions().is_within(station, s))
    };
    match sites {
        Sites::Points(p) => snap_all(app, p.iter().map(|c| LatLon::new(c[0], c[1])), field),
        Sites::Named(name) => {
            let engine = app.view(user);
            let pts: Vec<LatLon> = match name.as_str() {
                "posts" => engine
                    .posts()
                    .filter(|p| in_scope(&p.station_id))
                    .map(|p| LatLon::new(p.lat, p.lon))
                    .collect(),
                "units" => engine
                    .units()
                    .filter(|u| {
                        u.status == dispatch::UnitStatus::Available && in_scope(&u.home_station)
                    })
                    .map(|u| u.position())
                    .collect(),
                "offices" => app
                    .offices()
                    .iter()
                    .filter(|o| in_scope(&o.station_id))
                    .map(|o| LatLon::new(o.lat, o.lon))
                    .collect(),
                "stations" => app
                    .jurisdictions()
                    .all()
                    .iter()
                    .filter(|j| j.level == Level::Station && in_scope(&j.id))
                    .filter_map(|j| j.seat.map(|s| LatLon::new(s[1], s[0])))
                    .collect(),
                "posts:day" => engine
                    .posts()
                    .filter(|p| in_scope(&p.station_id))
                    .filter(|p| p.shift != "night")
                    .map(|p| LatLon::new(p.lat, p.lon))
                    .collect(),
                "posts:night" => engine
                    .posts()
                    .filter(|p| in_scope(&p.station_id))
                    .filter(|p| p.shift != "day")
                    .map(|p| LatLon::new(p.lat, p.lon))
                    .collect(),
                g if g.starts_with("grid:") => {
                    let m: f64 = g[5..]
                        .parse()
                        .ok()
                        .filter(|m: &f64| *m >= 100.0)
                        .ok_or_else(|| ApiError::invalid(field, "grid:<metres>, at least 100"))?;
                    let proj = app.graph().projection();
                    let mut best: std::collections::HashMap<(i64, i64), (f64, u32)> =
                        std::collections::HashMap::new();
                    for v in 0..app.graph().stats().nodes as u32 {
                        let ll = app.graph().node(v);
                        if user.scope.is_some()
                            && app
                                .jurisdictions()
                                .resolve(ll)
                                .is_none_or(|pl| !user.sees_place(&pl))
                        {
                            continue;
                        }
                        let [x, y] = proj.to_xy(ll);
                        let cell = ((x / m).floor() as i64, (y / m).floor() as i64);
                        let d = (x - (cell.0 as f64 + 0.5) * m).powi(2)
                            + (y - (cell.1 as f64 + 0.5) * m).powi(2);
                        let e = best.entry(cell).or_insert((f64::MAX, v));
                        if d < e.0 {
                            *e = (d, v);
                        }
                    }
                    let mut cells: Vec<_> = best.into_iter().collect();
                    cells.sort_by_key(|(c, _)| *c);
                    cells
                        .into_iter()
                        .map(|(_, (_, v))| app.graph().node(v))
                        .collect()
                }
                other => {
                    return Err(ApiError::invalid(
                        field,
                        format!(
                            "expected posts, posts:day, posts:night, units, stations, offices, grid:<metres> or [[lat, lon], …]; got {other:?}"
                        ),
                    ));
                }
            };
            drop(engine);
            snap_all(app, pts.into_iter(), field)
        }
    }
}

fn inputs(app: &App, user: &User, r: &Request) -> Result<Inputs, ApiError> {
    let minutes = r.minutes.clone().unwrap_or_else(|| vec![1.0, 3.0, 5.0]);
    if minutes.is_empty()
        || minutes
            .iter()
            .any(|m| !(m.is_finite() && *m > 0.0 && *m <= 30.0))
        || minutes.windows(2).any(|w| w[0] >= w[1])
    {
        return Err(ApiError::invalid(
            "minutes",
            "increasing minutes in (0, 30], e.g. [1, 3, 5]",
        ));
    }
    let tier_s: Vec<u32> = minutes.iter().map(|m| (m * 60.0).round() as u32).collect();
    let weights = match &r.weights {
        Some(w) if w.len() != minutes.len() || w.iter().any(|x| !(x.is_finite() && *x >= 0.0)) => {
            return Err(ApiError::invalid(
                "weights",
                "one non-negative weight per tier",
            ));
        }
        Some(w) => w.clone(),
        None => coverage::Options::new(1, minutes.len()).tier_weights,
    };
    if r.shift
        .as_deref()
        .is_some_and(|s| s != "day" && s != "night")
    {
        return Err(ApiError::invalid("shift", "expected day or night"));
    }
    let since = r
        .since
        .as_deref()
        .map(|s| {
            dispatch::time::parse_rfc3339(s)
                .ok_or_else(|| ApiError::invalid("since", "expected an RFC 3339 time"))
        })
        .transpose()?;
    let demand: Vec<(roads::Snap, f64)> = match r
        .demand
        .as_ref()
        .unwrap_or(&Demand::Named("incidents".into()))
    {
        Demand::Points(p) => {
            if p.iter().any(|c| !(c[2].is_finite() && c[2] >= 0.0)) {
                return Err(ApiError::invalid("demand", "weights must be non-negative"));
            }
            let snaps = snap_all(app, p.iter().map(|c| LatLon::new(c[0], c[1])), "demand")?;
            snaps.into_iter().zip(p.iter().map(|c| c[2])).collect()
        }
        Demand::Named(n) if n == "incidents" => {
            let engine = app.view(user);
            let pts: Vec<(LatLon, f64)> = engine
                .incidents()
                .filter(|i| {
                    user.sees(i)
                        && !matches!(i.status, IncidentStatus::Cancelled | IncidentStatus::Merged)
                })
                .filter(|i| since.is_none_or(|t| i.created_at >= t))
                .filter(|i| {
                    let h = dispatch::time::hour_of_day(i.created_at, crate::LOCAL_UTC_OFFSET_MIN);
                    match r.shift.as_deref() {
                        Some("day") => (7..19).contains(&h),
                        Some("night") => !(7..19).contains(&h),
                        _ => true,
                    }
                })
                .map(|i| (i.position(), f64::from(5 - i.priority.min(4))))
                .collect();
            drop(engine);
            pts.into_iter()
                .filter_map(|(p, w)| {
                    app.graph()
                        .snap(p, app.settings().dispatch.max_snap_m)
                        .ok()
                        .map(|s| (s, w))
                })
                .collect()
        }
        Demand::Named(n) if n == "communities" => app
            .jurisdictions()
            .all()
            .iter()
            .filter(|j| {
                j.level == Level::Community
                    && user
                        .scope
                        .as_deref()
                        .is_none_or(|s| app.jurisdictions().is_within(&j.id, s))
            })
            .filter_map(|j| {
                j.seat
                    .and_then(|s| {
                        app.graph()
                            .snap(LatLon::new(s[1], s[0]), app.settings().dispatch.max_snap_m)
                            .ok()
                    })
                    .map(|s| (s, 1.0))
            })
            .collect(),
        Demand::Named(other) => {
            return Err(ApiError::invalid(
                "demand",
                format!(
                    "expected incidents, communities or [[lat, lon, weight], …]; got {other:?}"
                ),
            ));
        }
    };
    if demand.is_empty() {
        return Err(ApiError::invalid(
            "demand",
            "no demand points (no incidents yet? pass demand explicitly)",
        ));
    }
    Ok(Inputs {
        demand,
        tier_s,
        minutes,
        weights,
    })
}

fn key(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{}", m as i64)
    } else {
        format!("{m}")
    }
}

fn describe(
    app: &App,
    inp: &Inputs,
    sites: &[roads::Snap],
    chosen: &[u32],
    e: &coverage::Evaluation,
) -> wire::CoverageOut {
    let by_minutes = |values: &[f64]| -> BTreeMap<String, f64> {
        inp.minutes
            .iter()
            .zip(values)
            .map(|(m, w)| (key(*m), *w))
            .collect()
    };
    // By station and by community: where the demand lies.
    type Rows = BTreeMap<String, (f64, Vec<f64>)>;
    let (mut by_station, mut by_community): (Rows, Rows) = Default::default();
    let points = inp
        .demand
        .iter()
        .enumerate()
        .map(|(i, (s, w))| {
            let b = e.best_tier[i] as usize;
            let place = app.jurisdictions().resolve(s.point).unwrap_or_default();
            for (rows, id) in [
                (&mut by_station, place.station_id),
                (&mut by_community, place.community_id),
            ] {
                let row = rows
                    .entry(id.unwrap_or_default())
                    .or_insert((0.0, vec![0.0; inp.minutes.len()]));
                row.0 += w;
                for c in row.1.iter_mut().skip(b) {
                    *c += w;
                }
            }
            (s.point.lat, s.point.lon, *w, inp.minutes.get(b).copied())
        })
        .collect();
    let table = |rows: Rows, station: bool| -> Vec<wire::CoverageRowOut> {
        rows.into_iter()
            .map(|(id, (total_weight, cov))| wire::CoverageRowOut {
                station_id: station.then(|| id.clone()),
                community_id: (!station).then_some(id),
                total_weight,
                covered: by_minutes(&cov),
            })
            .collect()
    };
    wire::CoverageOut {
        covered: by_minutes(&e.covered),
        total_weight: e.total_weight,
        backup: e.backup,
        score: e.score,
        sites: chosen
            .iter()
            .map(|j| sites[*j as usize].point)
            .map(|p| [p.lat, p.lon])
            .collect(),
        by_station: table(by_station, true),
        by_community: table(by_community, false),
        demand: points,
        uncovered: e.uncovered().count(),
        upper_bound: None,
        proven_ratio: None,
        before: None,
    }
}

/// What both coverage calls start from, once the role allows it: the
/// demand and tiers, and the request's `sites` (by default the patrol posts).
fn problem(app: &App, user: &User, r: &Request) -> Result<(Inputs, Vec<roads::Snap>), ApiError> {
    user.require(Action::Figures)?;
    let inp = inputs(app, user, r)?;
    let posts = Sites::Named("posts".into());
    let current = sites(app, user, r.sites.as_ref().unwrap_or(&posts), "sites")?;
    Ok((inp, current))
}

/// `POST /api/v1/coverage/evaluate`.
#[utoipa::path(post, path = "/api/v1/coverage/evaluate", tag = "coverage", summary = "Demand weight reached within 1/3/5 minutes of the posts (or a plan), by station, with backup coverage and uncovered places",
    request_body = Request, responses((status = 200, description = "OK", body = wire::CoverageOut)))]
pub async fn evaluate(
    State(app): crate::api::AppState,
    user: User,
    ApiJson(r): ApiJson<Request>,
) -> Result<Response, ApiError> {
    let (inp, site_snaps) = problem(&app, &user, &r)?;
    let app2 = app.clone();
    let out = tokio::task::spawn_blocking(move || -> Result<wire::CoverageOut, ApiError> {
        let p = coverage::Problem::build(app2.graph(), &site_snaps, &inp.demand, &inp.tier_s)
            .map_err(|e| ApiError::invalid("minutes", e.to_string()))?;
        let all: Vec<u32> = (0..site_snaps.len() as u32).collect();
        let e = coverage::evaluate(&p, &all, &inp.weights);
        Ok(describe(&app2, &inp, &site_snaps, &all, &e))
    })
    .await
    .map_err(ApiError::store)??;
    Ok(Json(out).into_response())
}

/// `POST /api/v1/coverage/optimise`.
#[utoipa::path(post, path = "/api/v1/coverage/optimise", tag = "coverage", summary = "Choose k sites among candidates (greedy, swaps, Lagrangian heuristic) with a proven upper bound; before/after comparison",
    request_body = Request, responses((status = 200, description = "OK", body = wire::CoverageOut)))]
pub async fn optimise(
    State(app): crate::api::AppState,
    user: User,
    ApiJson(r): ApiJson<Request>,
) -> Result<Response, ApiError> {
    let (inp, current) = problem(&app, &user, &r)?;
    let mut cands = sites(
        &app,
        &user,
        r.candidates
            .as_ref()
            .unwrap_or(&Sites::Named("grid:500".into())),
        "candidates",
    )?;
    let keep = r.keep_sites.unwrap_or(false);
    // The current sites are candidates too (first), so a plan can keep them.
    let n_current = current.len();
    cands.splice(0..0, current);
    let k = r.k.unwrap_or(n_current.max(1)) + if keep { n_current } else { 0 };
    let app2 = app.clone();
    let out = tokio::task::spawn_blocking(move || -> Result<wire::CoverageOut, ApiError> {
        let p = coverage::Problem::build(app2.graph(), &cands, &inp.demand, &inp.tier_s)
            .map_err(|e| ApiError::invalid("minutes", e.to_string()))?;
        let mut o = coverage::Options::new(k, inp.minutes.len());
        o.tier_weights = inp.weights.clone();
        if keep {
            o.fixed = (0..n_current as u32).collect();
        }
        o.backup_weight = r.backup_weight.unwrap_or(0.0);
        if !(o.backup_weight.is_finite() && o.backup_weight >= 0.0) {
            return Err(ApiError::invalid("backup_weight", "a non-negative number"));
        }
        let sol = coverage::optimise(&p, &o).map_err(|e| ApiError::invalid("k", e.to_string()))?;
        let before: Vec<u32> = (0..n_current as u32).collect();
        let was = coverage::evaluate(&p, &before, &inp.weights);
        Ok(wire::CoverageOut {
            upper_bound: Some(sol.upper_bound),
            proven_ratio: Some(sol.proven_ratio()),
            before: Some(Box::new(describe(&app2, &inp, &cands, &before, &was))),
            ..describe(&app2, &inp, &cands, &sol.chosen, &sol.evaluation)
        })
    })
    .await
    .map_err(ApiError::store)??;
    Ok(Json(out).into_response())
}
