//! The HTTP/JSON API under `/api/v1`. Only this module knows the wire format.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dispatch::figures::{Filter, Period};
use dispatch::time::{format_rfc3339, parse_rfc3339};
use dispatch::{Incident, IncidentStatus, Jurisdictions, Level, Unit, UnitKind, UnitStatus};
use serde::Deserialize;
use serde_json::Value;

use crate::App;
use crate::auth::{Action, ROLES, User, hash_password, new_token, token_hash, verify_password};
use crate::error::{ApiError, ApiJson, Code, Path, Query};
use crate::wire;
use app::Refusal;

/// The server's state as a handler takes it.
pub(crate) type AppState = State<Arc<App>>;
type ApiResult = Result<Response, ApiError>;

/// Every route: (method, path) as in the OpenAPI document.
pub fn routes(app: Arc<App>) -> Router {
    let limit = app.settings().body_limit;
    let api = Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/config", get(config))
        .route("/incidents", post(create_incident).get(list_incidents))
        .route("/incidents/check", post(check_incident))
        .route("/incidents/{id}", get(get_incident))
        .route("/incidents/{id}/recommendation", get(recommendation))
        .route("/incidents/{id}/dispatch", post(dispatch_units))
        .route("/incidents/{id}/status", post(set_status))
        .route("/incidents/{id}/merge", post(merge))
        .route("/incidents/{id}/release", post(release))
        .route("/incidents/{id}/eido", get(export_eido))
        .route("/eido", post(import_eido))
        .route("/units", get(list_units))
        .route("/units/{id}", get(get_unit).put(put_unit))
        .route(
            "/units/{id}/position",
            post(crate::terminal_api::unit_position),
        )
        .route("/units/{id}/track", get(crate::terminal_api::unit_track))
        .route("/owntracks", post(crate::terminal_api::owntracks))
        .route(
            "/osmand",
            post(crate::terminal_api::osmand).get(crate::terminal_api::osmand),
        )
        .route(
            "/terminal/settings",
            get(crate::terminal_api::terminal_settings),
        )
        .route("/units/{id}/status", post(unit_status))
        .route("/units/{id}/orders", get(unit_orders))
        .route("/units/{id}/orders/{seq}/ack", post(ack_order))
        .route(
            "/units/{id}/orders/{seq}/resend",
            post(crate::terminal_api::resend_order),
        )
        .route(
            "/units/{id}/messages",
            get(crate::terminal_api::unit_messages).post(crate::terminal_api::message_unit),
        )
        .route("/messages", post(crate::terminal_api::message_station))
        .route(
            "/units/{id}/crew",
            axum::routing::put(crate::terminal_api::put_crew),
        )
        .route(
            "/incidents/{id}/reports",
            get(crate::reports_api::list_reports).post(crate::reports_api::file_report),
        )
        .route(
            "/incidents/{id}/reports/{report}/photos/{n}",
            get(crate::reports_api::get_photo)
                .put(crate::reports_api::put_photo)
                .layer(DefaultBodyLimit::max(crate::reports_api::PHOTO_LIMIT + 1)),
        )
        .route("/units/{id}/reassign", post(reassign))
        .route("/units/{id}/reinforcement", post(reinforcement))
        .route("/posts", get(posts))
        .route("/places/search", get(crate::places_api::search))
        .route("/places/reverse", get(crate::places_api::reverse))
        .route("/places/history", get(crate::places_api::history))
        .route("/people/search", get(crate::people_api::search))
        .route(
            "/incidents/{id}/history",
            get(crate::places_api::incident_history),
        )
        .route("/route", get(crate::places_api::route))
        .route(
            "/places/addresses",
            post(crate::places_api::import_addresses)
                .layer(DefaultBodyLimit::max(crate::places_api::IMPORT_LIMIT)),
        )
        .route(
            "/places/markers",
            post(crate::places_api::import_markers)
                .layer(DefaultBodyLimit::max(crate::places_api::IMPORT_LIMIT)),
        )
        .route(
            "/police-offices",
            get(police_offices).post(crate::ledgers_api::create_office),
        )
        .route(
            "/police-offices/{id}",
            axum::routing::put(crate::ledgers_api::update_office),
        )
        .route("/community/ledgers", get(crate::ledgers_api::list_ledgers))
        .route(
            "/community/ledgers/{kind}",
            get(crate::ledgers_api::list_entries).post(crate::ledgers_api::create_entry),
        )
        .route(
            "/community/ledgers/{kind}/{id}",
            get(crate::ledgers_api::get_entry)
                .patch(crate::ledgers_api::update_entry)
                .delete(crate::ledgers_api::delete_entry),
        )
        .route(
            "/community/ledgers/{kind}/{id}/action",
            post(crate::ledgers_api::entry_action),
        )
        .route(
            "/community/ledgers/{kind}/import",
            post(crate::ledgers_api::import_entries)
                .layer(DefaultBodyLimit::max(crate::ledgers_api::IMPORT_LIMIT)),
        )
        .route(
            "/community/ledgers/{kind}/{id}/matches",
            get(crate::ledgers_api::entry_matches),
        )
        .route("/community/tasks", get(crate::ledgers_api::tasks))
        .route("/community/staffing", get(crate::ledgers_api::staffing))
        .route("/assessment", get(crate::assessment_api::table))
        .route(
            "/assessment/catalogue",
            get(crate::assessment_api::get_catalogue).put(crate::assessment_api::put_catalogue),
        )
        .route("/assessment/source", get(crate::assessment_api::source))
        .route("/police-offices/coverage", get(police_office_coverage))
        .route(
            "/community/transfers",
            post(crate::community_api::create_transfer).get(crate::community_api::list_transfers),
        )
        .route(
            "/community/transfers/{id}/decision",
            post(crate::community_api::decide_transfer),
        )
        .route(
            "/community/leads",
            post(crate::community_api::create_lead).get(crate::community_api::list_leads),
        )
        .route(
            "/community/leads/{id}/feedback",
            post(crate::community_api::lead_feedback),
        )
        .route(
            "/community/figures",
            get(crate::community_api::community_figures),
        )
        .route("/community/registers", get(crate::community_api::registers))
        .route(
            "/community/key-persons",
            post(crate::community_api::create_key_person)
                .get(crate::community_api::list_key_persons),
        )
        .route(
            "/community/key-persons/{id}",
            get(crate::community_api::get_key_person)
                .delete(crate::community_api::delete_key_person),
        )
        .route("/audit", get(crate::community_api::audit_log))
        .route(
            "/community/disputes",
            post(crate::community_api::create_dispute).get(crate::community_api::list_disputes),
        )
        .route(
            "/community/disputes/{id}",
            get(crate::community_api::get_dispute),
        )
        .route(
            "/community/disputes/{id}/action",
            post(crate::community_api::dispute_action),
        )
        .route("/jurisdictions", get(jurisdictions).put(put_jurisdictions))
        .route("/jurisdictions/at", get(jurisdiction_at))
        .route("/figures", get(figures))
        .route("/isochrones", get(isochrones))
        .route("/coverage/evaluate", post(crate::coverage_api::evaluate))
        .route("/coverage/optimise", post(crate::coverage_api::optimise))
        .route("/analysis/hotspots", get(crate::analysis_api::hotspots))
        .route(
            "/analysis/near-repeat",
            get(crate::analysis_api::near_repeat),
        )
        .route("/analysis/trends", get(crate::analysis_api::trends))
        .route("/analysis/forecast", get(crate::analysis_api::forecast))
        .route("/analysis/briefing", get(crate::analysis_api::briefing))
        .route("/users", get(users).post(create_user))
        .route("/users/{username}/revoke", post(revoke_user))
        .route("/feed", get(crate::feed::feed))
        .route("/openapi.json", get(openapi_json))
        .fallback(|| async {
            ApiError::new(
                Code::NoSuchEndpoint,
                "no such endpoint; see /api/v1/openapi.json",
            )
        });
    Router::new()
        .nest("/api/v1", api)
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/tiles/roads/{z}/{x}/{y}", get(road_tile))
        .route("/glyphs/{fontstack}/{range}", get(glyph_range))
        .fallback(static_file)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            crate::error::panic_response,
        ))
        .layer(axum::middleware::from_fn(track))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", summary = "This document",
    responses((status = 200, description = "OK")), security(()))]
async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
        .into_response()
}

#[utoipa::path(get, path = "/healthz", tag = "meta", summary = "Liveness",
    responses((status = 200, description = "OK")), security(()))]
async fn healthz() -> &'static str {
    "ok"
}

async fn track(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let secs = started.elapsed().as_secs_f64();
    metrics::histogram!("pingan_http_request_duration_seconds", "method" => method.to_string(), "route" => route.clone()).record(secs);
    metrics::counter!("pingan_http_requests_total", "method" => method.to_string(), "route" => route.clone(), "status" => status.clone()).increment(1);
    if let Some(code) = res.extensions().get::<crate::error::ErrorCode>() {
        tracing::info!(message = "request refused", %method, route, status, code = code.0, ms = secs * 1000.0);
    } else {
        tracing::debug!(message = "request", %method, route, status, ms = secs * 1000.0);
    }
    res
}

#[utoipa::path(get, path = "/metrics", tag = "meta", summary = "Prometheus metrics",
    responses((status = 200, description = "OK")), security(()))]
async fn metrics(State(app): AppState) -> Response {
    app.read(|engine| {
        let open = engine.incidents().filter(|i| i.status.is_open()).count();
        metrics::gauge!("pingan_incidents_open").set(open as f64);
        for s in UnitStatus::ALL {
            let n = engine.units().iter().filter(|u| u.status == s).count();
            metrics::gauge!("pingan_units", "status" => s.as_str()).set(n as f64);
        }
    });
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.render_metrics(),
    )
        .into_response()
}

async fn static_file(uri: axum::http::Uri) -> Response {
    match web::asset(uri.path()) {
        Some((mime, bytes)) => {
            // Our own files change with every build; MapLibre's only with its version.
            let cache = if uri.path().starts_with("/assets/") {
                "public, max-age=86400"
            } else {
                "no-cache"
            };
            (
                [(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, cache)],
                bytes,
            )
                .into_response()
        }
        None => ApiError::new(
            Code::NoSuchEndpoint,
            "no such page; the dashboard is at /, the API at /api/v1",
        )
        .into_response(),
    }
}

#[utoipa::path(get, path = "/tiles/roads/{z}/{x}/{y}", tag = "meta", summary = "Base-map vector tile (MVT) of the road graph",
    params(("z" = i64, Path), ("x" = i64, Path), ("y" = i64, Path)), responses((status = 200, description = "application/vnd.mapbox-vector-tile")), security(()))]
async fn road_tile(State(app): AppState, Path((z, x, y)): Path<(u8, u32, String)>) -> ApiResult {
    let y: u32 = y
        .trim_end_matches(".pbf")
        .trim_end_matches(".mvt")
        .parse()
        .map_err(|_| ApiError::invalid("y", "tile row must be a number"))?;
    let tile = app
        .tiles()
        .tile(z, x, y)
        .ok_or_else(|| ApiError::not_found("tile", format!("{z}/{x}/{y}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        tile.as_ref().clone(),
    )
        .into_response())
}

static GLYPHS: std::sync::LazyLock<tiles::Glyphs> = std::sync::LazyLock::new(tiles::Glyphs::new);

#[utoipa::path(get, path = "/glyphs/{fontstack}/{range}", tag = "meta", summary = "The map's font: signed-distance-field glyphs of 256 code points (`0-255.pbf`, `20224-20479.pbf`…), for any fontstack",
    params(("fontstack" = String, Path), ("range" = String, Path, description = "`{start}-{end}.pbf`, start a multiple of 256")), responses((status = 200, description = "application/x-protobuf")), security(()))]
async fn glyph_range(Path((_fontstack, range)): Path<(String, String)>) -> ApiResult {
    let bad = || {
        ApiError::invalid(
            "range",
            format!(
                "{range:?}: expected {{start}}-{{start + 255}}.pbf with start a multiple of 256 below 65536"
            ),
        )
    };
    let (start, end) = range
        .trim_end_matches(".pbf")
        .split_once('-')
        .ok_or_else(bad)?;
    let (start, end): (u32, u32) = (
        start.parse().map_err(|_| bad())?,
        end.parse().map_err(|_| bad())?,
    );
    if end != start.saturating_add(255) {
        return Err(bad());
    }
    let bytes = tokio::task::spawn_blocking(move || GLYPHS.range(start))
        .await
        .map_err(|e| ApiError::new(crate::error::Code::InternalError, format!("glyphs: {e}")))?
        .ok_or_else(bad)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-protobuf"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes.as_ref().clone(),
    )
        .into_response())
}

// ---------------------------------------------------------------- JSON shapes

/// An incident as the API shows it.
fn incident_out(app: &App, i: &Incident) -> wire::IncidentOut {
    wire::IncidentOut::new(i, &app.settings().dispatch, app.now())
}

fn created(v: impl serde::Serialize) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

fn ok(v: impl serde::Serialize) -> Response {
    Json(v).into_response()
}

/// Runs an engine command as the user (its name on every event).
pub(crate) async fn as_user<T>(
    app: &App,
    user: &User,
    f: impl FnOnce(
        &mut dispatch::Engine,
        dispatch::Millis,
        &str,
    ) -> Result<(T, dispatch::Changes), dispatch::DispatchError>,
) -> Result<T, ApiError> {
    let actor = user.username.clone();
    Ok(app.apply(|e, now| f(e, now, &actor)).await?)
}

/// The incident of a path's `{id}`, once the user's role allows `action`
/// and the incident is in the user's scope (else 404).
fn incident_for(app: &App, user: &User, action: Action, id: &str) -> Result<i64, ApiError> {
    user.require(action)?;
    let id = parse_id(id)?;
    visible_incident(app, user, id)?;
    Ok(id)
}

/// Checks that the user's role allows `action` on the unit `id` in scope.
/// Refuses unless `user` may do `action` to unit `id` in its scope. A
/// field terminal reports for its own unit (status, position, reinforcement)
/// and nothing else: any other unit is not found to it.
pub(crate) fn unit_for(app: &App, user: &User, action: Action, id: &str) -> Result<(), ApiError> {
    if action == Action::UpdateStatus {
        user.require_or_field(action)?;
    } else {
        user.require(action)?;
    }
    visible_unit(app, user, id).map(|_| ())
}

/// An incident as the API answers it.
fn incident_answer(app: &App, incident: &Incident) -> Response {
    ok(incident_out(app, incident))
}

pub(crate) fn visible_incident(app: &App, user: &User, id: i64) -> Result<Incident, ApiError> {
    let engine = app.view(user);
    engine
        .incident(id)
        .filter(|i| user.sees(i))
        .cloned()
        .ok_or_else(|| ApiError::not_found("incident", id))
}

pub(crate) fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::invalid("id", format!("incident ids are numbers, got {raw:?}")))
}

// ---------------------------------------------------------------- auth

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", summary = "Log in; returns a session token",
    request_body = Login, responses((status = 200, description = "OK", body = crate::wire::LoginOut)), security(()))]
async fn login(State(app): AppState, ApiJson(body): ApiJson<Login>) -> ApiResult {
    let refused = || ApiError::unauthorized("wrong user name or password");
    let rec = app
        .store()
        .user(&body.username)
        .await?
        .ok_or_else(refused)?;
    let hash = rec.password_hash.clone();
    let password = body.password;
    // Argon2 is deliberately slow: keep it off the async workers.
    let good = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    if !good || rec.disabled {
        metrics::counter!("pingan_logins_total", "result" => "refused").increment(1);
        return Err(refused());
    }
    let token = new_token();
    let now = app.now();
    let expires_at = now + app.settings().session_ttl_s * 1000;
    app.store()
        .put_session(&store::SessionRecord {
            token_hash: token_hash(&token),
            username: rec.username.clone(),
            created_at: now,
            expires_at,
            revoked_at: None,
        })
        .await?;
    metrics::counter!("pingan_logins_total", "result" => "ok").increment(1);
    Ok(Json(wire::LoginOut {
        token,
        expires_at: format_rfc3339(expires_at),
        user: wire::AccountOut {
            username: rec.username,
            role: rec.role,
            scope: rec.scope,
            display_name: rec.display_name,
            unit_id: rec.unit_id,
        },
    })
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", summary = "Revoke this session",
    responses((status = 204, description = "Revoked")))]
async fn logout(State(app): AppState, user: User) -> ApiResult {
    app.store()
        .revoke(Some(&user.token_hash), None, app.now())
        .await?;
    app.forget_sessions(Some(&user.token_hash), None);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", summary = "The logged-in user",
    responses((status = 200, description = "OK", body = crate::wire::MeOut)))]
async fn me(user: User) -> ApiResult {
    Ok(Json(wire::MeOut {
        username: user.username.clone(),
        role: user.role.clone(),
        scope: user.scope.clone(),
        display_name: user.display_name.clone(),
        expires_at: format_rfc3339(user.expires_at),
        unit_id: user.unit_id.clone(),
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/v1/config", tag = "config", summary = "Incident kinds, response plans, targets",
    responses((status = 200, description = "OK", body = wire::ConfigOut)))]
async fn config(State(app): AppState, user: User) -> ApiResult {
    // The catalogue and the map's bounds: a terminal names kinds with them.
    user.require_or_field(Action::Read)?;
    let c = &app.settings().dispatch;
    let mut bounds = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for j in app.jurisdictions().all().iter().filter(|j| {
        j.level == Level::Station
            && user
                .scope
                .as_deref()
                .is_none_or(|s| app.jurisdictions().is_within(&j.id, s))
    }) {
        for p in j.polygon.iter().flat_map(|p| p.first()).flatten() {
            bounds = [
                bounds[0].min(p[0]),
                bounds[1].min(p[1]),
                bounds[2].max(p[0]),
                bounds[3].max(p[1]),
            ];
        }
    }
    let user_out = wire::ConfigUserOut {
        username: user.username.clone(),
        role: user.role.clone(),
        scope: user.scope.clone(),
        display_name: user.display_name.clone(),
    };
    let clock = wire::ClockOut {
        now: dispatch::time::format_rfc3339(app.now()),
        utc_offset_min: crate::LOCAL_UTC_OFFSET_MIN,
        briefing_grace_days: app.settings().briefing_grace_days,
        default_briefing: crate::analysis_api::default_briefing_period(&app).name(),
    };
    let agency = (
        app.settings().agency.clone(),
        app.settings().agency_name.clone(),
    );
    Ok(Json(wire::ConfigOut::new(c, agency, bounds, user_out, clock)).into_response())
}

// ---------------------------------------------------------------- incidents

#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", summary = "Create an incident from a 110 call (durable before the answer)",
    request_body = crate::wire::NewIncidentBody, responses((status = 201, description = "Created", body = crate::wire::IncidentOut)))]
async fn create_incident(
    State(app): AppState,
    user: User,
    ApiJson(body): ApiJson<crate::wire::NewIncidentBody>,
) -> ApiResult {
    user.require(Action::CreateIncident)?;
    let body = crate::places_api::locate(&app, body)?;
    if let Some(scope) = &user.scope {
        let place = app.jurisdictions().resolve(dispatch::LatLon {
            lat: body.lat,
            lon: body.lon,
        });
        if place.as_ref().is_some_and(|p| !p.within(scope)) {
            return Err(ApiError::forbidden(format!(
                "{},{} lies outside your jurisdiction {scope}",
                body.lat, body.lon
            ))
            .field("lat"));
        }
    }
    let incident = as_user(&app, &user, |e, now, actor| {
        e.create_incident(now, actor, body)
    })
    .await?;
    metrics::counter!("pingan_incidents_created_total").increment(1);
    Ok(created(incident_out(&app, &incident)))
}

#[utoipa::path(post, path = "/api/v1/incidents/check", tag = "incidents", summary = "Validate a call and list possible duplicates without saving",
    request_body = crate::wire::NewIncidentBody, responses((status = 200, description = "OK", body = crate::wire::CheckOut)))]
async fn check_incident(
    State(app): AppState,
    user: User,
    ApiJson(body): ApiJson<crate::wire::NewIncidentBody>,
) -> ApiResult {
    user.require(Action::CreateIncident)?;
    let body = crate::places_api::locate(&app, body)?;
    let engine = app.view(&user);
    let (priority, place) = engine.validate_new(&body)?;
    let dups = engine.possible_duplicates(app.now(), &body);
    let possible_duplicates = dups
        .into_iter()
        .map(|(d, i)| wire::PossibleDuplicateOut {
            incident_id: d.incident_id,
            meters: d.meters,
            minutes: d.minutes,
            kind: i.kind.clone(),
            status: i.status.as_str(),
            address: i.address.clone(),
        })
        .collect();
    Ok(Json(wire::CheckOut {
        priority,
        place: wire::PlaceOut::from(&place),
        possible_duplicates,
    })
    .into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `open`, `all`, or a comma list of statuses.
    status: Option<String>,
    /// Only incidents in this jurisdiction.
    station: Option<String>,
    /// Only this kind.
    kind: Option<String>,
    /// Only incidents since this RFC 3339 time.
    since: Option<String>,
    /// At most this many (default 500, at most 5000).
    limit: Option<usize>,
    /// `true`: only incidents whose location nobody confirmed (typed text
    /// that matched no place), for follow-up.
    unverified: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", summary = "List and filter incidents in the user's jurisdiction",
    params(ListQuery), responses((status = 200, description = "OK", body = crate::wire::IncidentListOut)))]
async fn list_incidents(State(app): AppState, user: User, Query(q): Query<ListQuery>) -> ApiResult {
    user.require(Action::Read)?;
    let statuses: Option<Vec<IncidentStatus>> = match q.status.as_deref() {
        None | Some("all") => None,
        Some("open") => Some(
            IncidentStatus::ALL
                .into_iter()
                .filter(|s| s.is_open())
                .collect(),
        ),
        Some(list) => Some(
            list.split(',')
                .map(|s| {
                    IncidentStatus::parse(s.trim()).ok_or_else(|| {
                        ApiError::invalid(
                            "status",
                            format!(
                                "unknown status {s:?}; use open, all or a list of {}",
                                IncidentStatus::ALL.map(|s| s.as_str()).join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    let since = q
        .since
        .as_deref()
        .map(|s| {
            parse_rfc3339(s).ok_or_else(|| ApiError::invalid("since", "expected an RFC 3339 time"))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(500).min(5000);
    let now = app.now();
    let engine = app.view(&user);
    let mut found: Vec<&Incident> = engine
        .incidents()
        .filter(|i| user.sees(i))
        .filter(|i| statuses.as_ref().is_none_or(|s| s.contains(&i.status)))
        .filter(|i| q.station.as_ref().is_none_or(|s| i.place.within(s)))
        .filter(|i| {
            q.unverified
                .is_none_or(|want| want == i.location.as_ref().is_some_and(|l| !l.verified))
        })
        .filter(|i| q.kind.as_ref().is_none_or(|k| &i.kind == k))
        .filter(|i| since.is_none_or(|t| i.created_at >= t))
        .collect();
    let total = found.len();
    // Most urgent first, then oldest first: the dispatcher's queue.
    found.sort_by_key(|i| (!i.status.is_open(), i.priority, i.created_at, i.id));
    let incidents = found
        .into_iter()
        .take(limit)
        .map(|i| wire::IncidentOut::new(i, &app.settings().dispatch, now))
        .collect();
    Ok(Json(wire::IncidentListOut { total, incidents }).into_response())
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", summary = "One incident with its timeline (from its events)",
    params(("id" = i64, Path, description = "Incident id")), responses((status = 200, description = "OK", body = crate::wire::IncidentWithTimelineOut)))]
async fn get_incident(State(app): AppState, user: User, Path(id): Path<String>) -> ApiResult {
    // A terminal reads the incidents its unit is sent to (`User::sees`).
    user.require_or_field(Action::Read)?;
    let incident = visible_incident(&app, &user, parse_id(&id)?)?;
    let mut ids = vec![incident.id];
    ids.extend(&incident.merged_from);
    let timeline = app.store().timeline(&ids).await?;
    Ok(ok(wire::IncidentWithTimelineOut {
        incident: incident_out(&app, &incident),
        timeline: timeline.iter().map(wire::EventOut::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/recommendation", tag = "dispatch", summary = "Available units by driving time, tiers, the two-way dispatch, waves",
    params(("id" = i64, Path, description = "Incident id")), responses((status = 200, description = "OK", body = crate::wire::RecommendationOut)))]
async fn recommendation(State(app): AppState, user: User, Path(id): Path<String>) -> ApiResult {
    let id = incident_for(&app, &user, Action::Read, &id)?;
    let started = Instant::now();
    let rec = app.view(&user).recommend(id, &[])?;
    let us = started.elapsed().as_micros() as u64;
    metrics::histogram!("pingan_recommendation_seconds").record(us as f64 / 1e6);
    let v = wire::RecommendationOut::new(&rec, Some(us));
    Ok(Json(v).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DispatchBody {
    unit_ids: Vec<String>,
    idempotency_key: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/dispatch", tag = "dispatch", summary = "Send units (idempotent by key)",
    params(("id" = i64, Path, description = "Incident id")), request_body = DispatchBody, responses((status = 200, description = "OK", body = crate::wire::DispatchOut)))]
async fn dispatch_units(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DispatchBody>,
) -> ApiResult {
    let id = incident_for(&app, &user, Action::Dispatch, &id)?;
    let out = as_user(&app, &user, |e, now, actor| {
        e.dispatch(now, actor, id, &body.unit_ids, &body.idempotency_key)
    })
    .await?;
    let incident = visible_incident(&app, &user, id)?;
    metrics::counter!("pingan_dispatches_total", "replayed" => out.replayed.to_string())
        .increment(1);
    Ok(Json(wire::DispatchOut {
        incident: wire::IncidentOut::new(&incident, &app.settings().dispatch, app.now()),
        unit_ids: out.unit_ids,
        replayed: out.replayed,
    })
    .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
    note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/status", tag = "incidents", summary = "Move the incident along its lifecycle",
    params(("id" = i64, Path, description = "Incident id")), request_body = StatusBody, responses((status = 200, description = "OK", body = crate::wire::IncidentOut)))]
async fn set_status(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult {
    let id = incident_for(&app, &user, Action::UpdateStatus, &id)?;
    let to = IncidentStatus::parse(&body.status).ok_or_else(|| {
        ApiError::invalid(
            "status",
            format!(
                "unknown status {:?}; expected one of {}",
                body.status,
                IncidentStatus::ALL.map(|s| s.as_str()).join(", ")
            ),
        )
    })?;
    let incident = as_user(&app, &user, |e, now, actor| {
        e.set_status(now, actor, id, to, body.note)
    })
    .await?;
    Ok(incident_answer(&app, &incident))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    into: i64,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/merge", tag = "incidents", summary = "Merge this incident into another (callers and timelines kept)",
    params(("id" = i64, Path, description = "Incident id")), request_body = MergeBody, responses((status = 200, description = "OK", body = crate::wire::IncidentOut)))]
async fn merge(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MergeBody>,
) -> ApiResult {
    let id = incident_for(&app, &user, Action::Dispatch, &id)?;
    visible_incident(&app, &user, body.into)
        .map_err(|_| ApiError::invalid("into", format!("unknown incident {}", body.into)))?;
    let incident = as_user(&app, &user, |e, now, actor| {
        e.merge(now, actor, id, body.into)
    })
    .await?;
    Ok(incident_answer(&app, &incident))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReleaseBody {
    unit_id: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/release", tag = "dispatch", summary = "Release a unit from the incident",
    params(("id" = i64, Path, description = "Incident id")), request_body = ReleaseBody, responses((status = 200, description = "OK", body = crate::wire::IncidentOut)))]
async fn release(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReleaseBody>,
) -> ApiResult {
    let id = incident_for(&app, &user, Action::Dispatch, &id)?;
    let incident = as_user(&app, &user, |e, now, actor| {
        e.release(now, actor, id, &body.unit_id)
    })
    .await?;
    Ok(incident_answer(&app, &incident))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/eido", tag = "interchange", summary = "Export as a NENA EIDO JSON document",
    params(("id" = i64, Path, description = "Incident id")), responses((status = 200, description = "A NENA EIDO JSON document (NENA-STA-021)", content_type = "application/emergency.eido+json")))]
async fn export_eido(State(app): AppState, user: User, Path(id): Path<String>) -> ApiResult {
    user.require(Action::Read)?;
    let incident = visible_incident(&app, &user, parse_id(&id)?)?;
    let timeline = app.store().timeline(&[incident.id]).await?;
    let doc = dispatch::eido::export(
        &app.settings().agency,
        &app.settings().agency_name,
        &incident,
        &timeline,
        app.now(),
    );
    Ok((
        [(header::CONTENT_TYPE, "application/emergency.eido+json")],
        doc.to_string(),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/eido", tag = "interchange", summary = "Import an incident from a NENA EIDO JSON document",
    request_body(content = Object, content_type = "application/json", description = "A NENA EIDO JSON document (NENA-STA-021)"), responses((status = 201, description = "Imported", body = wire::IncidentOut)))]
async fn import_eido(State(app): AppState, user: User, ApiJson(doc): ApiJson<Value>) -> ApiResult {
    user.require(Action::CreateIncident)?;
    let (incident, source) = dispatch::eido::import(&doc)?;
    let incident = as_user(&app, &user, |e, now, actor| {
        e.import_incident(now, actor, incident, &source)
    })
    .await?;
    Ok(created(incident_out(&app, &incident)))
}

// ---------------------------------------------------------------- units

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UnitQuery {
    status: Option<String>,
    station: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/units", tag = "units", summary = "Units in the user's jurisdiction",
    params(UnitQuery), responses((status = 200, description = "OK", body = [crate::wire::UnitOut])))]
async fn list_units(State(app): AppState, user: User, Query(q): Query<UnitQuery>) -> ApiResult {
    user.require(Action::Read)?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            UnitStatus::parse(s)
                .ok_or_else(|| ApiError::invalid("status", format!("unknown unit status {s:?}")))
        })
        .transpose()?;
    let engine = app.view(&user);
    let list: Vec<wire::UnitOut> = engine
        .units()
        .filter(|u| user.sees_unit(&app, u))
        .filter(|u| status.is_none_or(|s| u.status == s))
        .filter(|u| {
            q.station
                .as_ref()
                .is_none_or(|s| app.jurisdictions().is_within(&u.home_station, s))
        })
        .map(wire::UnitOut::from)
        .collect();
    Ok(ok(list))
}

pub(crate) fn visible_unit(app: &App, user: &User, id: &str) -> Result<Unit, ApiError> {
    let engine = app.view(user);
    engine
        .unit(id)
        .filter(|u| user.sees_unit(app, u))
        .cloned()
        .ok_or_else(|| ApiError::not_found("unit", id))
}

#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units", summary = "One unit",
    params(("id" = String, Path, description = "Unit id")), responses((status = 200, description = "OK", body = crate::wire::UnitOut)))]
async fn get_unit(State(app): AppState, user: User, Path(id): Path<String>) -> ApiResult {
    user.require_or_field(Action::Read)?;
    Ok(ok(wire::UnitOut::from(&visible_unit(&app, &user, &id)?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UnitBody {
    callsign: String,
    /// `patrol_car`, `foot_patrol`, `bike_patrol`, `station_duty`,
    /// `criminal_investigation`, `narcotics`, `traffic` or `special_police`.
    #[schema(value_type = String)]
    kind: UnitKind,
    home_station: String,
    #[serde(default = "two")]
    crew: u32,
    #[serde(default)]
    capabilities: Vec<String>,
    lat: f64,
    lon: f64,
    #[serde(default)]
    post_id: Option<String>,
}

fn two() -> u32 {
    2
}

#[utoipa::path(put, path = "/api/v1/units/{id}", tag = "units", summary = "Register or update a unit (admin)",
    params(("id" = String, Path, description = "Unit id")), request_body = UnitBody, responses((status = 200, description = "OK", body = crate::wire::UnitOut)))]
async fn put_unit(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UnitBody>,
) -> ApiResult {
    user.require(Action::Admin)?;
    let unit = Unit {
        id,
        callsign: b.callsign,
        kind: b.kind,
        home_station: b.home_station,
        crew: b.crew,
        capabilities: b.capabilities,
        status: UnitStatus::Available,
        lat: b.lat,
        lon: b.lon,
        position_at: 0,
        status_at: 0,
        crew_names: Vec::new(),
        incident_id: None,
        post_id: b.post_id,
    };
    let unit = as_user(&app, &user, |e, now, actor| {
        e.register_unit(now, actor, unit)
    })
    .await?;
    Ok(ok(wire::UnitOut::from(&unit)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UnitStatusBody {
    status: String,
    /// The device's own time of the change (RFC 3339): the timeline is
    /// stamped with it. Default: when the server receives it.
    at: Option<String>,
    /// A retry with the same key changes nothing.
    idempotency_key: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/units/{id}/status", tag = "units", summary = "Status report from the field; the incident follows",
    params(("id" = String, Path, description = "Unit id")), request_body = UnitStatusBody, responses((status = 200, description = "OK", body = crate::wire::UnitOut)))]
async fn unit_status(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UnitStatusBody>,
) -> ApiResult {
    unit_for(&app, &user, Action::UpdateStatus, &id)?;
    let to = UnitStatus::parse(&b.status).ok_or_else(|| {
        ApiError::invalid(
            "status",
            format!(
                "unknown unit status {:?}; expected one of {}",
                b.status,
                UnitStatus::ALL.map(|s| s.as_str()).join(", ")
            ),
        )
    })?;
    let device_at = b
        .at
        .as_deref()
        .map(|at| {
            dispatch::time::parse_rfc3339(at).ok_or_else(|| {
                ApiError::invalid(
                    "at",
                    format!("{at:?}: expected an RFC 3339 time such as 2026-12-03T10:15:00+08:00"),
                )
            })
        })
        .transpose()?;
    if let Some(k) = &b.idempotency_key
        && (k.is_empty() || k.len() > 200)
    {
        return Err(ApiError::invalid("idempotency_key", "1 to 200 characters"));
    }
    let unit = as_user(&app, &user, |e, now, actor| {
        e.report_status(now, device_at, actor, &id, to, b.idempotency_key.as_deref())
    })
    .await?;
    Ok(ok(wire::UnitOut::from(&unit)))
}

/// `GET /api/v1/units/{id}/orders`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct OrdersQuery {
    /// Only orders after this `seq` (default 0: all): what a terminal that
    /// reconnects missed.
    after: Option<i64>,
    /// At most this many, 1..=500 (default 100).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/units/{id}/orders", tag = "units", summary = "A unit's orders (dispatches and releases), oldest first, after a sequence number",
    params(("id" = String, Path, description = "Unit id"), OrdersQuery), responses((status = 200, description = "OK", body = wire::OrdersOut)))]
async fn unit_orders(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    Query(q): Query<OrdersQuery>,
) -> ApiResult {
    user.require_or_field(Action::Read)?;
    visible_unit(&app, &user, &id)?;
    let limit = crate::error::bounded("limit", q.limit, 100, 1..=500)?;
    let after = q.after.unwrap_or(0);
    let mut orders = app.store().unit_orders(&id, after, limit).await?;
    if user.unit_id.as_deref() == Some(id.as_str()) {
        // Its terminal read them: delivered.
        for o in orders.iter_mut().filter(|o| o.delivered_at.is_none()) {
            app.order_delivered(&user.username, &id, o.seq).await?;
            o.delivered_at = Some(app.now());
        }
    }
    Ok(Json(wire::OrdersOut {
        orders: orders.iter().map(wire::OrderOut::from).collect(),
    })
    .into_response())
}

/// An acknowledgement (the body may be left out).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AckBody {
    /// The device's time of the tap (RFC 3339).
    at: Option<String>,
    /// Accepted for a terminal's outbox; an acknowledgement is once per
    /// order anyway.
    #[allow(dead_code, reason = "a repeat changes nothing whatever the key")]
    idempotency_key: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/units/{id}/orders/{seq}/ack", tag = "units", summary = "The unit's terminal acknowledges an order; a repeat changes nothing",
    params(("id" = String, Path, description = "Unit id"), ("seq" = i64, Path, description = "The order's seq")), request_body(content = Option<AckBody>), responses((status = 200, description = "The order, acknowledged", body = wire::OrderOut)))]
async fn ack_order(
    State(app): AppState,
    user: User,
    Path((id, seq)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult {
    unit_for(&app, &user, Action::UpdateStatus, &id)?;
    let b: AckBody = if body.iter().all(u8::is_ascii_whitespace) {
        AckBody::default()
    } else {
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(Code::MalformedJson, e.to_string()))?;
        crate::error::from_value(v, "")?
    };
    let device_at =
        b.at.as_deref()
            .map(|at| {
                parse_rfc3339(at).ok_or_else(|| {
                    ApiError::invalid("at", format!("{at:?}: expected an RFC 3339 time"))
                })
            })
            .transpose()?;
    let seq: i64 = seq
        .parse()
        .map_err(|_| ApiError::invalid("seq", format!("order numbers are numbers, got {seq:?}")))?;
    let order = app
        .store()
        .unit_order(&id, seq)
        .await?
        .ok_or_else(|| ApiError::not_found("order", seq))?;
    if order.acked_at.is_some() {
        return Ok(ok(wire::OrderOut::from(&order)));
    }
    as_user(&app, &user, |e, now, actor| {
        e.acknowledge(now, actor, &id, seq, order.incident_id, device_at)
            .map(|ch| ((), ch))
    })
    .await?;
    let order = app
        .store()
        .unit_order(&id, seq)
        .await?
        .ok_or_else(|| ApiError::not_found("order", seq))?;
    Ok(ok(wire::OrderOut::from(&order)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReassignBody {
    incident_id: i64,
    idempotency_key: String,
}

#[utoipa::path(post, path = "/api/v1/units/{id}/reassign", tag = "dispatch", summary = "Move a unit to another incident",
    params(("id" = String, Path, description = "Unit id")), request_body = ReassignBody, responses((status = 200, description = "OK", body = wire::ReassignOut)))]
async fn reassign(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReassignBody>,
) -> ApiResult {
    unit_for(&app, &user, Action::Dispatch, &id)?;
    visible_incident(&app, &user, b.incident_id).map_err(|_| {
        ApiError::invalid("incident_id", format!("unknown incident {}", b.incident_id))
    })?;
    let out = as_user(&app, &user, |e, now, actor| {
        e.reassign(now, actor, &id, b.incident_id, &b.idempotency_key)
    })
    .await?;
    Ok(Json(wire::ReassignOut {
        incident_id: out.incident_id,
        unit_ids: out.unit_ids,
        replayed: out.replayed,
    })
    .into_response())
}

/// What a unit on scene asks for (the body may be left out: one more).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReinforcementBody {
    /// How many more units, 1..=20 (default 1).
    count: Option<u32>,
    /// Why, in a few words (shown to the dispatcher).
    reason: Option<String>,
    /// A terminal's key for this request (1 to 200 characters): a retry
    /// with it asks nothing new and answers the recommendation as it stands.
    idempotency_key: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/units/{id}/reinforcement", tag = "dispatch", summary = "Reinforcement request from a unit on scene (how many, why): a recommendation without the units already there",
    params(("id" = String, Path, description = "Unit id")), request_body(content = Option<ReinforcementBody>), responses((status = 200, description = "OK", body = wire::RecommendationOut)))]
async fn reinforcement(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    unit_for(&app, &user, Action::UpdateStatus, &id)?;
    let b: ReinforcementBody = if body.iter().all(u8::is_ascii_whitespace) {
        ReinforcementBody::default()
    } else {
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(Code::MalformedJson, e.to_string()))?;
        crate::error::from_value(v, "")?
    };
    let rec = as_user(&app, &user, |e, now, actor| {
        e.reinforcement(
            now,
            actor,
            &id,
            b.count.unwrap_or(1),
            b.reason.as_deref(),
            b.idempotency_key.as_deref(),
        )
    })
    .await?;
    Ok(Json(wire::RecommendationOut::new(&rec, None)).into_response())
}

#[utoipa::path(get, path = "/api/v1/posts", tag = "units", summary = "Patrol posts",
    responses((status = 200, description = "OK", body = [wire::PostOut])))]
async fn posts(State(app): AppState, user: User) -> ApiResult {
    user.require(Action::Read)?;
    // The view keeps to the user's jurisdiction.
    let list: Vec<wire::PostOut> = app.view(&user).posts().map(wire::PostOut::from).collect();
    Ok(Json(list).into_response())
}

#[utoipa::path(get, path = "/api/v1/police-offices", tag = "jurisdictions", summary = "Village and community police offices (警务室) in the user's jurisdiction",
    responses((status = 200, description = "OK", body = [wire::PoliceOfficeOut])))]
async fn police_offices(State(app): AppState, user: User) -> ApiResult {
    user.require(Action::Read)?;
    let list: Vec<wire::PoliceOfficeOut> = app
        .offices()
        .iter()
        .filter(|o| app::repository::sees(&app, &user, &o.community_id))
        .map(wire::PoliceOfficeOut::from)
        .collect();
    Ok(Json(list).into_response())
}

/// Villages and communities with a police office, by bureau and station
/// (the report's "572 offices for 587 villages = 97.4%"), within the user's scope.
#[utoipa::path(get, path = "/api/v1/police-offices/coverage", tag = "community", summary = "Village police office (警务室) coverage: communities with an office / all communities, co-location with the village committee, classes and staff; in total, by bureau and by station, within your scope",
    responses((status = 200, description = "OK", body = wire::OfficeCoverageReportOut)))]
async fn police_office_coverage(State(app): AppState, user: User) -> ApiResult {
    user.require(Action::Figures)?;
    let report =
        community::office_coverage(app.jurisdictions(), &app.offices(), user.scope.as_deref());
    Ok(Json(wire::OfficeCoverageReportOut::from(&report)).into_response())
}

// ---------------------------------------------------------------- jurisdictions and figures

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct JurisdictionQuery {
    /// comma list of city_bureau, bureau, station, community, grid
    level: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/jurisdictions", tag = "jurisdictions", summary = "The jurisdiction tree as GeoJSON",
    params(JurisdictionQuery), responses((status = 200, description = "OK", body = wire::geo::JurisdictionsOut)))]
async fn jurisdictions(
    State(app): AppState,
    user: User,
    Query(q): Query<JurisdictionQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let levels: Option<Vec<Level>> = q
        .level
        .map(|l| {
            l.split(',')
                .map(|s| {
                    Level::parse(s.trim())
                        .ok_or_else(|| ApiError::invalid("level", format!("unknown level {s:?}")))
                })
                .collect::<Result<_, _>>()
        })
        .transpose()?;
    let wanted = app
        .jurisdictions()
        .all()
        .iter()
        .filter(|j| levels.as_ref().is_none_or(|ls| ls.contains(&j.level)));
    Ok(Json(wire::geo::JurisdictionsOut::new(wanted)).into_response())
}

#[utoipa::path(put, path = "/api/v1/jurisdictions", tag = "jurisdictions", summary = "Replace the jurisdiction tree from GeoJSON (admin; applies at the next start)",
    request_body(content = Object, content_type = "application/json", description = "The whole jurisdiction tree: an array of {id, name, level, parent_id, polygon}"), responses((status = 202, description = "Stored", body = wire::StoredOut)))]
async fn put_jurisdictions(
    State(app): AppState,
    user: User,
    ApiJson(doc): ApiJson<Value>,
) -> ApiResult {
    user.require(Action::Admin)?;
    let all = Jurisdictions::from_geojson(&doc)?;
    Jurisdictions::new(all.clone())?;
    app.store().put_jurisdictions(&all).await?;
    // The live tree is fixed for the process: applied at the next start.
    Ok((
        StatusCode::ACCEPTED,
        Json(wire::StoredOut {
            stored: all.len(),
            applies: "at the next server start",
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
struct AtQuery {
    lat: f64,
    lon: f64,
}

#[utoipa::path(get, path = "/api/v1/jurisdictions/at", tag = "jurisdictions", summary = "Bureau, station, community and grid of a point",
    params(("lat" = Option<f64>, Query), ("lon" = Option<f64>, Query)), responses((status = 200, description = "OK", body = wire::JurisdictionsAtOut)))]
async fn jurisdiction_at(
    State(app): AppState,
    user: User,
    q: Result<Query<AtQuery>, ApiError>,
) -> ApiResult {
    user.require(Action::Read)?;
    let Query(q) = q.map_err(|e| {
        let field = e.field.clone().unwrap_or_else(|| "lat".into());
        ApiError::invalid(
            &field,
            format!("give lat and lon as numbers: {}", e.message),
        )
    })?;
    let place = app
        .jurisdictions()
        .resolve(dispatch::LatLon {
            lat: q.lat,
            lon: q.lon,
        })
        .ok_or_else(|| {
            ApiError::new(
                Code::OutsideJurisdiction,
                format!(
                    "{},{} lies outside every police station's jurisdiction",
                    q.lat, q.lon
                ),
            )
        })?;
    Ok(Json(wire::JurisdictionsAtOut::new(app.jurisdictions(), &place)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FiguresQuery {
    from: Option<String>,
    to: Option<String>,
    station: Option<String>,
    kind: Option<String>,
    /// hour, day or month
    period: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/figures", tag = "figures", summary = "Share reached within 1/3/5 minutes, phase medians and 90th percentiles, by station, kind and period",
    params(FiguresQuery), responses((status = 200, description = "OK", body = wire::FiguresOut)))]
async fn figures(State(app): AppState, user: User, Query(q): Query<FiguresQuery>) -> ApiResult {
    user.require(Action::Figures)?;
    let time = crate::analysis_api::time;
    let filter = Filter {
        from: time("from", &q.from)?,
        to: time("to", &q.to)?,
        station: q.station.clone(),
        kind: q.kind.clone(),
    };
    let period = match q.period.as_deref() {
        None | Some("day") => Period::Day,
        Some("hour") => Period::Hour,
        Some("month") => Period::Month,
        Some(p) => {
            return Err(ApiError::invalid(
                "period",
                format!("unknown period {p:?}; expected hour, day or month"),
            ));
        }
    };
    let engine = app.view(&user);
    let f =
        dispatch::figures::figures(engine.incidents().filter(|i| user.sees(i)), &filter, period);
    Ok(Json(wire::FiguresOut::from(&f)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct IsochroneQuery {
    /// posts or units
    of: Option<String>,
    minutes: Option<String>,
    station: Option<String>,
}

/// The 1/3/5-minute areas reachable from patrol posts or from available units.
#[utoipa::path(get, path = "/api/v1/isochrones", tag = "coverage", summary = "1/3/5-minute areas reachable from the posts or the available units (GeoJSON)",
    params(IsochroneQuery), responses((status = 200, description = "OK", body = wire::IsochronesOut)))]
async fn isochrones(
    State(app): AppState,
    user: User,
    Query(q): Query<IsochroneQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let minutes: Vec<f64> = match &q.minutes {
        None => vec![1.0, 3.0, 5.0],
        Some(m) => m
            .split(',')
            .map(|x| {
                x.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| *v > 0.0 && *v <= 30.0)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "minutes",
                            format!("expected minutes in (0, 30], got {x:?}"),
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
    };
    let of = q.of.as_deref().unwrap_or("posts");
    let points: Vec<dispatch::LatLon> = {
        let engine = app.view(&user);
        let in_scope = |station: &str| {
            q.station
                .as_deref()
                .is_none_or(|s| app.jurisdictions().is_within(station, s))
                && user
                    .scope
                    .as_deref()
                    .is_none_or(|s| app.jurisdictions().is_within(station, s))
        };
        match of {
            "posts" => engine
                .posts()
                .filter(|p| in_scope(&p.station_id))
                .map(|p| dispatch::LatLon {
                    lat: p.lat,
                    lon: p.lon,
                })
                .collect(),
            "units" => engine
                .units()
                .filter(|u| u.status == UnitStatus::Available && in_scope(&u.home_station))
                .map(|u| u.position())
                .collect(),
            other => {
                return Err(ApiError::invalid(
                    "of",
                    format!("expected posts or units, got {other:?}"),
                ));
            }
        }
    };
    let snaps: Vec<roads::Snap> = points
        .iter()
        .filter_map(|p| {
            app.graph()
                .snap(*p, app.settings().dispatch.max_snap_m)
                .ok()
        })
        .collect();
    if snaps.is_empty() {
        let none = roads::Isochrones {
            parts: Vec::new(),
            areas: Vec::new(),
        };
        return Ok(Json(wire::IsochronesOut::from(&none)).into_response());
    }
    let limits: Vec<u32> = minutes.iter().map(|m| (m * 60_000.0) as u32).collect();
    let graph = app.graph();
    let iso = tokio::task::spawn_blocking(move || {
        roads::isochrones(graph, &snaps, &limits, &roads::IsochroneOptions::default())
    })
    .await
    .map_err(ApiError::store)?
    .map_err(|e| ApiError::invalid("minutes", e.to_string()))?;
    Ok(Json(wire::IsochronesOut::from(&iso)).into_response())
}

// ---------------------------------------------------------------- users

#[utoipa::path(get, path = "/api/v1/users", tag = "admin", summary = "Accounts (admin)",
    responses((status = 200, description = "OK", body = [crate::wire::UserOut])))]
async fn users(State(app): AppState, user: User) -> ApiResult {
    user.require(Action::Admin)?;
    let list: Vec<wire::UserOut> = app
        .store()
        .users()
        .await?
        .into_iter()
        .map(|u| wire::UserOut {
            username: u.username,
            role: u.role,
            scope: u.scope,
            display_name: u.display_name,
            disabled: u.disabled,
        })
        .collect();
    Ok(Json(list).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    password: String,
    role: String,
    scope: Option<String>,
    display_name: Option<String>,
    /// For role `unit` (a field terminal's account, required): the unit it belongs to.
    unit_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "admin", summary = "Create an account (admin)",
    request_body = NewUser, responses((status = 201, description = "Created", body = crate::wire::CreatedUserOut)))]
async fn create_user(State(app): AppState, user: User, ApiJson(b): ApiJson<NewUser>) -> ApiResult {
    user.require(Action::Admin)?;
    if b.username.trim().is_empty() || b.username.len() > 64 {
        return Err(ApiError::invalid("username", "1 to 64 characters"));
    }
    if b.password.chars().count() < 10 {
        return Err(ApiError::invalid("password", "at least 10 characters"));
    }
    if !ROLES.contains(&b.role.as_str()) {
        return Err(ApiError::invalid(
            "role",
            format!(
                "unknown role {:?}; expected one of {}",
                b.role,
                ROLES.join(", ")
            ),
        ));
    }
    if let Some(s) = &b.scope
        && app.jurisdictions().get(s).is_none()
    {
        return Err(ApiError::invalid(
            "scope",
            format!("unknown jurisdiction {s}"),
        ));
    }
    let mut scope = b.scope;
    match (b.role == app::auth::UNIT_ROLE, &b.unit_id) {
        (true, None) => {
            return Err(ApiError::invalid(
                "unit_id",
                "a unit account belongs to one unit: give its unit_id",
            ));
        }
        (true, Some(id)) => {
            let unit = app
                .view(&user)
                .unit(id)
                .cloned()
                .ok_or_else(|| ApiError::invalid("unit_id", format!("unknown unit {id:?}")))?;
            // Its jurisdiction is its unit's station, unless narrowed.
            scope.get_or_insert(unit.home_station);
        }
        (false, Some(_)) => {
            return Err(ApiError::invalid(
                "unit_id",
                format!(
                    "only accounts of role {} belong to a unit",
                    app::auth::UNIT_ROLE
                ),
            ));
        }
        (false, None) => {}
    }
    let password = b.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::store)?;
    let rec = store::UserRecord {
        username: b.username.clone(),
        role: b.role,
        scope,
        display_name: b.display_name.unwrap_or(b.username),
        password_hash: hash,
        disabled: false,
        unit_id: b.unit_id,
    };
    app.store().put_user(&rec).await?;
    Ok((
        StatusCode::CREATED,
        Json(wire::CreatedUserOut {
            username: rec.username,
            role: rec.role,
            scope: rec.scope,
        }),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/users/{username}/revoke", tag = "admin", summary = "Revoke every session of a user (admin)",
    params(("username" = String, Path)), responses((status = 200, description = "OK", body = crate::wire::RevokedOut)))]
async fn revoke_user(State(app): AppState, user: User, Path(username): Path<String>) -> ApiResult {
    user.require(Action::Admin)?;
    let n = app.store().revoke(None, Some(&username), app.now()).await?;
    app.forget_sessions(None, Some(&username));
    Ok(Json(wire::RevokedOut {
        revoked_sessions: n as u64,
    })
    .into_response())
}
