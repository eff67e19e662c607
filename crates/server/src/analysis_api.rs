//! Crime analysis over the API, on the incidents the user may see: hotspots
//! (Gi*, kernel density, H3, road segments), near repeat (Knox), trends,
//! next week's forecast and the monthly briefing. The numbers come from
//! `analysis`; this module gathers incidents in scope and shapes answers.

use dispatch::time::DAY_MS;

use crate::wire::{
    self, HotspotProperties,
    geo::{Feature, Geometry, Position},
};
use analysis::Record;
use analysis::hotspot::{self, Grid};
use analysis::knox::{KnoxParams, Metric};
use analysis::records::LocalProjection;
use analysis::trends::{GroupBy, Period, compare, hour_by_weekday};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use dispatch::time::parse_rfc3339;
use serde::Deserialize;

use crate::App;
use crate::auth::{Action, User};
use crate::error::{ApiError, Query};
use app::Refusal;

type ApiResult = Result<Response, ApiError>;

/// Periods are local (UTC+8) days.
const LOCAL_MS: i64 = crate::LOCAL_UTC_OFFSET_MIN * 60_000;

/// Which incidents.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Selection {
    /// From this RFC 3339 time or date (default: 90 days ago).
    from: Option<String>,
    /// Until this time (default: now).
    to: Option<String>,
    /// Only this kind.
    kind: Option<String>,
    /// Only inside this jurisdiction (within the user's own scope).
    scope: Option<String>,
    // Method-specific parameters share the query string.
    /// gistar (default), kde, grid, h3, segments
    method: Option<String>,
    /// grid cell, metres (25..5000, default 250)
    cell: Option<f64>,
    /// kernel bandwidth, metres (default 1.5 cells)
    bandwidth: Option<f64>,
    /// H3 resolution (default 8)
    resolution: Option<u8>,
    /// metres (default 100)
    space_band: Option<f64>,
    /// default 3
    space_bands: Option<usize>,
    /// days (default 7)
    time_band: Option<u32>,
    /// default 3
    time_bands: Option<usize>,
    /// default 99, at most 9999
    permutations: Option<usize>,
    /// default 1
    seed: Option<u64>,
    /// manhattan (default) or euclidean
    metric: Option<String>,
    /// YYYY-MM, YYYY, YYYY-MM-DD or FROM..TO (default: the last 30 days)
    period: Option<String>,
    /// kind (default), station or all
    by: Option<String>,
    /// gistar: largest q-value kept
    max_q: Option<f64>,
}

struct Gathered {
    records: Vec<Record>,
    proj: LocalProjection,
}

/// An optional RFC 3339 time or date parameter, or a 422 naming `field`.
pub(crate) fn time(field: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    v.as_deref()
        .map(|s| {
            parse_rfc3339(s).ok_or_else(|| {
                ApiError::invalid(
                    field,
                    format!("expected an RFC 3339 time or date, got {s:?}"),
                )
            })
        })
        .transpose()
}

/// Incidents the user sees, as analysis records in local metres.
fn gather(app: &App, user: &User, q: &Selection, default_days: i64) -> Result<Gathered, ApiError> {
    let now = app.now();
    let to = time("to", &q.to)?.unwrap_or(now);
    let from = time("from", &q.from)?.unwrap_or(to - default_days * DAY_MS);
    if from >= to {
        return Err(ApiError::invalid("from", "from must be before to"));
    }
    if let Some(s) = &q.scope
        && app.jurisdictions().get(s).is_none()
    {
        return Err(ApiError::invalid(
            "scope",
            format!("unknown jurisdiction {s:?}"),
        ));
    }
    let engine = app.view(user);
    let picked: Vec<&dispatch::Incident> = engine
        .incidents()
        .filter(|i| user.sees(i))
        .filter(|i| {
            q.scope
                .as_deref()
                .is_none_or(|s| app::records::within(app.jurisdictions(), i, s))
        })
        .filter(|i| q.kind.as_deref().is_none_or(|k| i.kind == k))
        .filter(|i| i.merged_into.is_none() && (from..to).contains(&i.created_at))
        .collect();
    let n = picked.len().max(1) as f64;
    let proj = if picked.is_empty() {
        let b = app.graph().node(0);
        LocalProjection {
            lat0: b.lat,
            lon0: b.lon,
        }
    } else {
        LocalProjection {
            lat0: picked.iter().map(|i| i.lat).sum::<f64>() / n,
            lon0: picked.iter().map(|i| i.lon).sum::<f64>() / n,
        }
    };
    let records = picked
        .iter()
        .map(|i| app::records::record(i, &proj))
        .collect();
    Ok(Gathered { records, proj })
}

/// Incidents from the start of the earlier of `period`'s comparison periods
/// to its end (local days), as records on the local (UTC+8) clock.
fn gather_local(
    app: &App,
    user: &User,
    period: Period,
    kind: Option<String>,
    scope: Option<String>,
) -> Result<(Gathered, Vec<Record>), ApiError> {
    let (from, to) = app::records::briefing_window(period);
    let sel = Selection {
        from: Some(dispatch::time::format_rfc3339(from)),
        to: Some(dispatch::time::format_rfc3339(to)),
        kind,
        scope,
        ..Default::default()
    };
    let g = gather(app, user, &sel, 0)?;
    let offset = LOCAL_MS / 1000;
    let local = g
        .records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.from += offset;
            r.to += offset;
            r
        })
        .collect();
    Ok((g, local))
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn cell_ring(g: &Grid, proj: &LocalProjection, i: usize) -> Geometry {
    let ring = g
        .cell_ring(i)
        .iter()
        .map(|&(x, y)| {
            let (lat, lon) = proj.inverse(x, y);
            Position([lon, lat])
        })
        .collect();
    Geometry::Polygon(vec![ring])
}

fn cell_param(q: &Selection) -> Result<f64, ApiError> {
    let cell = q.cell.unwrap_or(250.0);
    if !(25.0..=5000.0).contains(&cell) {
        return Err(ApiError::invalid("cell", "cell must be 25..5000 metres"));
    }
    Ok(cell)
}

/// `GET /api/v1/analysis/hotspots`.
#[utoipa::path(get, path = "/api/v1/analysis/hotspots", tag = "analysis", summary = "Hotspots of incidents in scope (GeoJSON): Getis-Ord Gi* cells at FDR q <= max_q (default 0.05), kernel density, grid counts, H3 hexagons or road segments; with global Moran's I for grids",
    params(Selection), responses((status = 200, description = "OK", body = wire::HotspotsOut)))]
pub async fn hotspots(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<Selection>,
) -> ApiResult {
    user.require(Action::Figures)?;
    let g = gather(&app, &user, &q, 90)?;
    let method = q.method.as_deref().unwrap_or("gistar");
    let latlon =
        || -> Vec<(f64, f64)> { g.records.iter().map(|r| g.proj.inverse(r.x, r.y)).collect() };
    let mut out = wire::HotspotsOut::new(method, g.records.len());
    if g.records.is_empty() {
        return Ok(axum::Json(out).into_response());
    }
    match method {
        "gistar" | "kde" | "grid" => {
            let cell = cell_param(&q)?;
            let xy: Vec<(f64, f64)> = g.records.iter().map(|r| (r.x, r.y)).collect();
            let grid =
                Grid::bin(&xy, cell).map_err(|e| ApiError::invalid("cell", e.to_string()))?;
            let gi = hotspot::gistar(&grid);
            let kde = hotspot::kernel_density(&grid, q.bandwidth.unwrap_or(1.5 * cell))
                .map_err(|e| ApiError::invalid("bandwidth", e.to_string()))?;
            let max_q = q
                .max_q
                .unwrap_or(if method == "gistar" { 0.05 } else { 1.0 });
            for i in 0..grid.counts.len() {
                let keep = match method {
                    "gistar" => gi[i].q <= max_q && gi[i].z > 0.0,
                    "kde" => kde[i] > 0.0 && grid.counts[i] > 0 || kde[i] > 1e-3,
                    _ => grid.counts[i] > 0,
                };
                if keep {
                    let cell = HotspotProperties::Cell {
                        count: grid.counts[i],
                        z: finite(gi[i].z),
                        p: finite(gi[i].p),
                        q: finite(gi[i].q),
                        density_per_km2: kde[i],
                    };
                    out.features
                        .push(Feature::new(cell_ring(&grid, &g.proj, i), cell));
                }
            }
            out.moran = Some(hotspot::moran(&grid, hotspot::Transform::Row).into());
            out.cell = Some(cell);
            out.cells = Some(grid.counts.len());
        }
        "h3" => {
            let res = q.resolution.unwrap_or(8);
            let counts = hotspot::h3_counts(&latlon(), res)
                .map_err(|e| ApiError::invalid("resolution", e.to_string()))?;
            for (c, n) in counts {
                let b = c.boundary();
                let ring = b
                    .iter()
                    .chain(b.iter().take(1))
                    .map(|ll| Position([ll.lng(), ll.lat()]));
                let hexagon = HotspotProperties::Hexagon {
                    h3: c.to_string(),
                    count: n,
                };
                out.features.push(Feature::new(
                    Geometry::Polygon(vec![ring.collect()]),
                    hexagon,
                ));
            }
            out.resolution = Some(res);
        }
        "segments" => {
            let (counts, off) = hotspot::segment_counts(app.graph(), &latlon(), 100.0);
            for (road, n) in counts.into_iter().take(2000) {
                let line = app
                    .graph()
                    .road_geometry(road)
                    .iter()
                    .map(|p| Position([p.lon, p.lat]));
                let km = (app.graph().road_meters(road) / 1000.0).max(0.01);
                let per_km = n as f64 / km;
                out.features.push(Feature::new(
                    Geometry::LineString(line.collect()),
                    HotspotProperties::Road {
                        road,
                        count: n,
                        per_km,
                    },
                ));
            }
            out.off_road = Some(off);
        }
        other => {
            return Err(ApiError::invalid(
                "method",
                format!("unknown method {other:?}; expected gistar, kde, grid, h3 or segments"),
            ));
        }
    }
    Ok(axum::Json(out).into_response())
}

/// `GET /api/v1/analysis/near-repeat`.
#[utoipa::path(get, path = "/api/v1/analysis/near-repeat", tag = "analysis", summary = "Knox near-repeat test in the Near Repeat Calculator's layout: observed, expected, Knox ratio and p per space x time band",
    params(Selection), responses((status = 200, description = "OK", body = wire::KnoxOut)))]
pub async fn near_repeat(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<Selection>,
) -> ApiResult {
    user.require(Action::Figures)?;
    let g = gather(&app, &user, &q, 90)?;
    if g.records.len() < 2 {
        return Err(ApiError::invalid("from", "fewer than 2 incidents selected"));
    }
    let permutations = q.permutations.unwrap_or(99);
    if permutations > 9999 {
        return Err(ApiError::invalid("permutations", "at most 9999"));
    }
    let p = KnoxParams {
        space_band: q.space_band.unwrap_or(100.0),
        space_bands: q.space_bands.unwrap_or(3),
        time_band: q.time_band.unwrap_or(7),
        time_bands: q.time_bands.unwrap_or(3),
        permutations,
        seed: q.seed.unwrap_or(1),
        metric: match q.metric.as_deref() {
            None | Some("manhattan") => Metric::Manhattan,
            Some("euclidean") => Metric::Euclidean,
            Some(m) => {
                return Err(ApiError::invalid(
                    "metric",
                    format!("unknown metric {m:?}; expected manhattan or euclidean"),
                ));
            }
        },
    };
    let xy: Vec<(f64, f64)> = g.records.iter().map(|r| (r.x, r.y)).collect();
    let days: Vec<i64> = g.records.iter().map(|r| r.day()).collect();
    let r = analysis::knox::knox(&xy, &days, &p).map_err(|e| match e {
        analysis::AnalysisError::Param { .. } => ApiError::from(e),
        other => ApiError::invalid("from", other.to_string()),
    })?;
    Ok(axum::Json(wire::KnoxOut::from(r)).into_response())
}

/// `GET /api/v1/analysis/trends`.
#[utoipa::path(get, path = "/api/v1/analysis/trends", tag = "analysis", summary = "Counts by kind or station: period on period and year on year (per-day change, Poisson test), and an hour x weekday table (UTC+8)",
    params(Selection), responses((status = 200, description = "OK", body = wire::TrendsOut)))]
pub async fn trends(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<Selection>,
) -> ApiResult {
    user.require(Action::Figures)?;
    let period = match &q.period {
        Some(p) => Period::parse(p).map_err(|e| ApiError::invalid("period", e.to_string()))?,
        None => {
            let day = (app.now() + LOCAL_MS).div_euclid(DAY_MS);
            Period {
                start: day - 30,
                end: day + 1,
            }
        }
    };
    let by = match q.by.as_deref().unwrap_or("kind") {
        "kind" => GroupBy::Kind,
        "station" | "area" => GroupBy::Area,
        "all" => GroupBy::All,
        other => {
            return Err(ApiError::invalid(
                "by",
                format!("unknown grouping {other:?}; expected kind, station or all"),
            ));
        }
    };
    let (prev, year) = (period.previous(), period.year_before());
    let (_, local) = gather_local(&app, &user, period, q.kind.clone(), q.scope.clone())?;
    let changes = |other| {
        compare(&local, by, period, other)
            .iter()
            .map(Into::into)
            .collect()
    };
    Ok(axum::Json(wire::TrendsOut {
        period: period.label(),
        previous_period: prev.label(),
        year_before: year.label(),
        period_on_period: changes(prev),
        year_on_year: changes(year),
        hour_by_weekday: hour_by_weekday(&local, period)
            .iter()
            .map(|r| r.to_vec())
            .collect(),
    })
    .into_response())
}

/// `GET /api/v1/analysis/forecast`: next week's hot cells (retrospective
/// density blended with prospective recency) from the past year.
#[utoipa::path(get, path = "/api/v1/analysis/forecast", tag = "analysis", summary = "Next week's hot cells (the top 10% of occupied cells): past-year density blended with recent (8-week) incidents (GeoJSON)",
    params(Selection), responses((status = 200, description = "OK", body = wire::ForecastOut)))]
pub async fn forecast(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<Selection>,
) -> ApiResult {
    user.require(Action::Figures)?;
    let g = gather(&app, &user, &q, 365)?;
    let cell = cell_param(&q)?;
    if g.records.is_empty() {
        let empty = wire::ForecastOut {
            kind: wire::geo::FEATURE_COLLECTION,
            features: Vec::new(),
            cell: None,
            share_of_area: None,
        };
        return Ok(axum::Json(empty).into_response());
    }
    let xy: Vec<(f64, f64)> = g.records.iter().map(|r| (r.x, r.y)).collect();
    let days: Vec<i64> = g.records.iter().map(|r| r.day()).collect();
    let grid = Grid::bin(&xy, cell).map_err(|e| ApiError::invalid("cell", e.to_string()))?;
    let today = app.now().div_euclid(DAY_MS) + 1;
    let ranked = analysis::forecast::forecast_week(&xy, &days, &grid, today, 1.5 * cell)
        .map_err(|e| ApiError::invalid("cell", e.to_string()))?;
    let occupied = grid.counts.iter().filter(|&&c| c > 0).count().max(1);
    let top = (occupied as f64 * 0.1).ceil() as usize;
    let features = ranked
        .iter()
        .take(top)
        .enumerate()
        .map(|(rank, &(i, score))| {
            let past_year = grid.counts[i];
            let properties = wire::ForecastProperties {
                rank: rank + 1,
                score,
                past_year,
            };
            Feature::new(cell_ring(&grid, &g.proj, i), properties)
        });
    Ok(axum::Json(wire::ForecastOut {
        kind: wire::geo::FEATURE_COLLECTION,
        features: features.collect(),
        cell: Some(cell),
        share_of_area: Some("top 10% of cells with any incident"),
    })
    .into_response())
}

/// The briefing a user gets without naming a period: the month just ended
/// in the first days of a month, else the current one (local time).
pub fn default_briefing_period(app: &App) -> Period {
    let today = dispatch::time::local_day(app.now());
    Period::default_briefing(today, app.settings().briefing_grace_days)
}

/// `GET /api/v1/analysis/briefing?period=2026-10&scope=B1`: HTML; without
/// a period, [`default_briefing_period`].
#[utoipa::path(get, path = "/api/v1/analysis/briefing", tag = "analysis", summary = "Monthly (or key-date) briefing for a city bureau, bureau or station as one self-contained HTML page",
    params(Selection), responses((status = 200, description = "OK", content_type = "text/html")))]
pub async fn briefing(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<Selection>,
) -> ApiResult {
    user.require(Action::Figures)?;
    let period = match &q.period {
        Some(p) => Period::parse(p).map_err(|e| ApiError::invalid("period", e.to_string()))?,
        None => default_briefing_period(&app),
    };
    let scope_id = q
        .scope
        .clone()
        .or_else(|| user.scope.clone())
        .or_else(|| {
            app.jurisdictions()
                .all()
                .iter()
                .find(|j| j.parent_id.is_none())
                .map(|j| j.id.clone())
        })
        .ok_or_else(|| ApiError::invalid("scope", "no jurisdiction"))?;
    let scope = app::repository::jurisdiction_in_scope(&app, &user, "scope", &scope_id, None)?;
    let proj = app::records::projection_of(&scope)
        .ok_or_else(|| ApiError::invalid("scope", format!("{scope_id} has no outline")))?;
    let records = app.read(|engine| {
        app::records::briefing_records(
            &app.settings().dispatch,
            scope.level,
            period,
            engine.incidents().filter(|i| {
                user.sees(i) && app::records::within(app.jurisdictions(), i, &scope_id)
            }),
            &proj,
        )
    });
    let html = app::records::briefing_html(
        &scope,
        period,
        &records,
        &proj,
        q.cell.unwrap_or(250.0),
        app.now(),
    );
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}
