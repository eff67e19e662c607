//! Station assessment over the API: the catalogue (configuration, kept in
//! the store's meta table, the shipped TOML by default), the table of
//! scores per station and period with a ranking and a CSV export, and the
//! source data of any score.

use crate::wire;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use community::assessment::{Catalogue, DEFAULT_CATALOGUE, Metrics, assess, to_csv};
use community::metrics::{Inputs, METRICS, metric_names, station_metrics};
use dispatch::Level;
use serde::Deserialize;

use crate::App;
use crate::auth::{Action, User};
use crate::community_api::community_error;
use crate::community_api::span;
use crate::error::{ApiError, ApiJson, Query};
use app::Refusal;
use app::repository::load_windows;
use store::RecordWindow;

type ApiResult = Result<Response, ApiError>;

const META_KEY: &str = "assessment_catalogue";

/// The catalogue in force (TOML text and parsed).
pub async fn catalogue(app: &App) -> Result<(String, Catalogue), ApiError> {
    let text = app
        .store()
        .meta(META_KEY)
        .await
        .map_err(ApiError::store)?
        .unwrap_or_else(|| DEFAULT_CATALOGUE.to_string());
    let c = Catalogue::parse(&text, &metric_names())
        .map_err(|e| ApiError::store(format!("stored assessment catalogue: {e}")))?;
    Ok((text, c))
}

/// Checks and stores a catalogue (the binary's `--assessment FILE` too).
pub async fn set_catalogue(app: &App, text: &str) -> Result<Catalogue, ApiError> {
    let c = Catalogue::parse(text, &metric_names()).map_err(community_error)?;
    app.store()
        .set_meta(META_KEY, text)
        .await
        .map_err(ApiError::store)?;
    Ok(c)
}

/// `GET /api/v1/assessment/catalogue`: indicators, their TOML and the metrics formulas may use.
#[utoipa::path(get, path = "/api/v1/assessment/catalogue", tag = "assessment", summary = "indicators (formula, weight, target, unit), their TOML, and the metrics formulas may use",
    responses((status = 200, description = "OK", body = wire::CatalogueOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn get_catalogue(State(app): crate::api::AppState, user: User) -> ApiResult {
    user.require(Action::Figures)?;
    let (text, c) = catalogue(&app).await?;
    let metrics = METRICS
        .iter()
        .map(|&(name, description)| wire::MetricNameOut { name, description });
    Ok(axum::Json(wire::CatalogueOut {
        indicators: wire::indicators(&c),
        toml: text,
        metrics: metrics.collect(),
    })
    .into_response())
}

/// A new catalogue.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueBody {
    /// The catalogue as TOML (`[[indicator]]` tables).
    toml: String,
}

/// `PUT /api/v1/assessment/catalogue` (administrators): replaces the catalogue.
#[utoipa::path(put, path = "/api/v1/assessment/catalogue", tag = "assessment", summary = "replace the catalogue (administrators); every formula is checked against the metrics",
    request_body = CatalogueBody, responses((status = 200, description = "OK", body = wire::IndicatorsOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn put_catalogue(
    State(app): crate::api::AppState,
    user: User,
    ApiJson(b): ApiJson<CatalogueBody>,
) -> ApiResult {
    user.require(Action::Admin)?;
    let c = set_catalogue(&app, &b.toml).await?;
    app.store()
        .audit(&store::AuditEntry {
            at: app.now(),
            actor: user.username.clone(),
            action: "update".into(),
            kind: "assessment_catalogue".into(),
            record_id: META_KEY.into(),
            reason: None,
        })
        .await
        .map_err(ApiError::store)?;
    Ok(axum::Json(wire::IndicatorsOut {
        indicators: wire::indicators(&c),
    })
    .into_response())
}

/// Query of the table.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TableQuery {
    /// `YYYY-MM`, `YYYY`, a date or `FROM..TO` (default: this month).
    period: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// The ledger records the metrics count (see `community::metrics`), each
/// register read through the window its metrics need: the registers of
/// people and housing are read only where a step was taken in the period.
async fn metric_entries(
    app: &App,
    user: &User,
    sp: &crate::community_api::Span,
    now: i64,
) -> Result<Vec<community::ledgers::Entry>, ApiError> {
    use community::ledgers::{self, Entry};
    let mut entries: Vec<Entry> = Vec::new();
    let period = RecordWindow::Created {
        from: sp.from,
        to: Some(sp.to),
    };
    for l in ledgers::LEDGERS.iter() {
        let kind = l.register.kind;
        let windows: Vec<RecordWindow> = if kind == ledgers::STAFFING.register.kind {
            vec![RecordWindow::Whole]
        } else if kind == ledgers::COMMUNITY_DAYS.register.kind {
            vec![RecordWindow::Days {
                from: &sp.from_date,
                to: &sp.to_date,
            }]
        } else if kind == ledgers::VENUES.register.kind {
            // Inspections of the period, and inspections past due now.
            vec![
                RecordWindow::SteppedSince(sp.from),
                RecordWindow::DueBefore(now),
            ]
        } else if kind == ledgers::RENTAL_HOUSING.register.kind {
            vec![RecordWindow::SteppedSince(sp.from)]
        } else if l.service {
            vec![period]
        } else {
            // No metric counts this register.
            continue;
        };
        entries.extend(load_windows::<Entry>(app, user, kind, &windows).await?);
    }
    Ok(entries)
}

/// Metrics of every station in the user's scope.
async fn metrics_by_station(
    app: &App,
    user: &User,
    period: Option<String>,
    only: Option<&str>,
) -> Result<(String, Vec<(String, String, Metrics)>), ApiError> {
    let sp = span(app, period)?;
    let now = app.now();
    let incidents: Vec<dispatch::Incident> = {
        let engine = app.view(user);
        engine
            .incidents()
            .filter(|i| i.created_at >= sp.from && i.created_at < sp.to && user.sees(i))
            .cloned()
            .collect()
    };
    let refs: Vec<&dispatch::Incident> = incidents.iter().collect();
    let period = RecordWindow::Created {
        from: sp.from,
        to: Some(sp.to),
    };
    // A transfer follows its incident: the period's incidents' transfers
    // were all created since the period began.
    let transfers: Vec<community::transfer::Transfer> = load_windows(
        app,
        user,
        "transfer",
        &[RecordWindow::Created {
            from: sp.from,
            to: None,
        }],
    )
    .await?;
    let leads: Vec<community::transfer::Lead> = load_windows(app, user, "lead", &[period]).await?;
    let disputes: Vec<community::dispute::Dispute> = load_windows(
        app,
        user,
        community::dispute::DISPUTES.kind,
        &[period, RecordWindow::DueBefore(now)],
    )
    .await?;
    let entries = metric_entries(app, user, &sp, now).await?;
    let offices = app.offices();
    let inputs = Inputs {
        tree: app.jurisdictions(),
        incidents: &refs,
        transfers: &transfers,
        leads: &leads,
        disputes: &disputes,
        entries: &entries,
        offices: &offices,
        from: sp.from,
        to: sp.to,
        from_date: &sp.from_date,
        to_date: &sp.to_date,
        period_days: sp.days,
        now,
    };
    let stations: Vec<(String, String, Metrics)> = app
        .jurisdictions()
        .all()
        .iter()
        .filter(|j| {
            j.level == Level::Station
                && app::repository::sees(app, user, &j.id)
                && only.is_none_or(|o| o == j.id)
        })
        .map(|j| {
            (
                j.id.clone(),
                j.name_zh.clone(),
                station_metrics(&inputs, &j.id),
            )
        })
        .collect();
    Ok((sp.label, stations))
}

/// `GET /api/v1/assessment?period=&format=`: every station in scope scored
/// by the catalogue, ranked; `format=csv` downloads the table.
#[utoipa::path(get, path = "/api/v1/assessment", tag = "assessment", summary = "every station in scope scored by the catalogue, ranked; format=csv downloads it",
    params(TableQuery), responses((status = 200, description = "OK", body = wire::AssessmentOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn table(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<TableQuery>,
) -> ApiResult {
    user.require(Action::Figures)?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(f) => {
            return Err(ApiError::invalid(
                "format",
                format!("expected json or csv, got {f:?}"),
            ));
        }
    };
    let (_, c) = catalogue(&app).await?;
    let (label, stations) = metrics_by_station(&app, &user, q.period, None).await?;
    let rows = assess(&c, &stations);
    if csv {
        return Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"assessment-{label}.csv\""),
                ),
            ],
            to_csv(&c, &rows),
        )
            .into_response());
    }
    Ok(axum::Json(wire::AssessmentOut {
        period: label,
        indicators: wire::indicators(&c),
        rows: rows.iter().map(Into::into).collect(),
    })
    .into_response())
}

/// Query of the source data.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SourceQuery {
    /// Station.
    station: String,
    /// Indicator id.
    indicator: String,
    /// Period (as the table).
    period: Option<String>,
}

/// `GET /api/v1/assessment/source?station=&indicator=&period=`: the metric
/// values behind one score and the ids of the records counted in each.
#[utoipa::path(get, path = "/api/v1/assessment/source", tag = "assessment", summary = "the metric values behind one station's score and the ids of the records counted",
    params(SourceQuery), responses((status = 200, description = "OK", body = wire::AssessmentSourceOut), (status = 422, description = "bad input: {code, message, field}"), (status = 403, description = "role or jurisdiction")))]
pub async fn source(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<SourceQuery>,
) -> ApiResult {
    user.require(Action::Figures)?;
    let (_, c) = catalogue(&app).await?;
    let Some(ind) = c.indicator.iter().find(|i| i.id == q.indicator) else {
        return Err(ApiError::invalid(
            "indicator",
            format!(
                "unknown indicator {:?}; expected one of {}",
                q.indicator,
                c.indicator
                    .iter()
                    .map(|i| i.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    match app.jurisdictions().get(&q.station) {
        Some(j) if j.level == Level::Station => {}
        _ => {
            return Err(ApiError::invalid(
                "station",
                format!("{:?} is not a police station", q.station),
            ));
        }
    }
    let (label, stations) = metrics_by_station(&app, &user, q.period, Some(&q.station)).await?;
    let Some((_, name, metrics)) = stations.into_iter().next() else {
        return Err(ApiError::not_found("station", &q.station));
    };
    let mut vars = Vec::new();
    community::assessment::Expr::parse(&ind.formula)
        .expect("checked")
        .vars(&mut vars);
    let rows = assess(
        &Catalogue {
            indicator: vec![ind.clone()],
        },
        &[(q.station.clone(), name.clone(), metrics.clone())],
    );
    let used = vars.iter().map(|v| {
        let m = metrics.get(v).cloned().unwrap_or_default();
        let description = METRICS.iter().find(|(n, _)| n == v).map_or("", |(_, d)| *d);
        let value = wire::MetricValueOut {
            value: m.value,
            description,
            records: m.records,
        };
        (v.clone(), value)
    });
    Ok(axum::Json(wire::AssessmentSourceOut {
        period: label,
        station_id: q.station,
        station: name,
        indicator: ind.into(),
        score: (&rows[0].scores[0]).into(),
        metrics: used.collect(),
    })
    .into_response())
}
