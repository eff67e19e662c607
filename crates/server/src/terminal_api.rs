//! Positions from the field as fleets send them: pingan's own batches of
//! fixes, the OwnTracks HTTP format and the OsmAnd/Traccar format; a unit's
//! track for replay; the rate terminals are advised to report at.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use dispatch::FixReport;
use dispatch::time::{format_rfc3339, parse_rfc3339};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::{AppState, unit_for, visible_unit};
use crate::auth::{Action, User};
use crate::error::{ApiError, ApiJson, Code, Path, Query, bounded, from_value};
use crate::wire;
use app::Refusal;
use axum::extract::State;

type ApiResult = Result<Response, ApiError>;

/// One position fix as a terminal sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FixIn {
    lat: f64,
    lon: f64,
    /// The device's time of the fix (RFC 3339). Default: when received.
    /// A fix already kept for this unit at this time is not kept again.
    at: Option<String>,
    /// Horizontal accuracy, metres.
    accuracy: Option<f64>,
    /// Ground speed, metres per second.
    speed: Option<f64>,
    /// Course, degrees clockwise from north.
    heading: Option<f64>,
}

/// One fix or a batch of them (oldest first or not: the newest by device
/// time becomes the unit's position, every one goes to its track).
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "the document's shape; the handler reads JSON values"
)]
pub(crate) enum PositionIn {
    One(FixIn),
    Many(Vec<FixIn>),
}

fn device_time(at: Option<&str>, field: &str) -> Result<Option<i64>, ApiError> {
    at.map(|at| {
        parse_rfc3339(at).ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("{at:?}: expected an RFC 3339 time such as 2026-12-03T10:15:00+08:00"),
            )
        })
    })
    .transpose()
}

fn report(f: FixIn, field: &str) -> Result<FixReport, ApiError> {
    Ok(FixReport {
        at: device_time(f.at.as_deref(), field)?,
        lat: f.lat,
        lon: f.lon,
        accuracy_m: f.accuracy,
        speed_mps: f.speed,
        heading_deg: f.heading,
    })
}

#[utoipa::path(post, path = "/api/v1/units/{id}/position", tag = "units", summary = "Position report from the field: one fix or a batch, each at the device's time",
    params(("id" = String, Path, description = "Unit id")), request_body = PositionIn, responses((status = 200, description = "The unit, at its newest position", body = wire::UnitOut)))]
pub(crate) async fn unit_position(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult {
    unit_for(&app, &user, Action::UpdateStatus, &id)?;
    let fixes = match body {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let prefix = format!("fixes[{i}]");
                report(from_value(v, &prefix)?, &format!("{prefix}.at"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        v @ Value::Object(_) => vec![report(from_value(v, "")?, "at")?],
        _ => {
            return Err(ApiError::new(
                Code::InvalidBody,
                "send one fix {\"lat\", \"lon\", \"at\"} or an array of them",
            ));
        }
    };
    let unit = app.report_fixes(&id, &fixes).await?;
    Ok(Json(wire::UnitOut::from(&unit)).into_response())
}

/// `GET /api/v1/units/{id}/track`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct TrackQuery {
    /// From this device time (RFC 3339; default: 8 hours, one shift, before `to`).
    from: Option<String>,
    /// Up to this device time, exclusive (RFC 3339; default: now).
    to: Option<String>,
    /// At most this many fixes, 1..=10000 (default 2000); page on from the
    /// last fix's time with `from`.
    limit: Option<i64>,
}

/// One fix of a track.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TrackFixOut {
    /// The device's time.
    at: String,
    /// When the server received it.
    received_at: String,
    lat: f64,
    lon: f64,
    accuracy: Option<f64>,
    speed: Option<f64>,
    heading: Option<f64>,
}

/// A unit's track, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TrackOut {
    unit_id: String,
    fixes: Vec<TrackFixOut>,
    /// `from` for the next page, or null when this is the last.
    next: Option<String>,
}

/// A shift: the default window of a track.
const SHIFT_MS: i64 = 8 * 3600 * 1000;

#[utoipa::path(get, path = "/api/v1/units/{id}/track", tag = "units", summary = "A unit's track (its fixes by device time) for replay",
    params(("id" = String, Path, description = "Unit id"), TrackQuery), responses((status = 200, description = "OK", body = TrackOut)))]
pub(crate) async fn unit_track(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    Query(q): Query<TrackQuery>,
) -> ApiResult {
    user.require_or_field(Action::Read)?;
    visible_unit(&app, &user, &id)?;
    let to = device_time(q.to.as_deref(), "to")?.unwrap_or_else(|| app.now() + 1);
    let from = device_time(q.from.as_deref(), "from")?.unwrap_or(to - SHIFT_MS);
    if from >= to {
        return Err(ApiError::invalid("from", "from must be before to"));
    }
    let limit = bounded("limit", q.limit, 2000, 1..=10_000)?;
    let mut fixes = app.store().track(&id, from, to, limit + 1).await?;
    let next = (fixes.len() as i64 > limit).then(|| {
        fixes.truncate(limit as usize);
        format_rfc3339(fixes.last().map_or(from, |f| f.at) + 1)
    });
    Ok(Json(TrackOut {
        unit_id: id,
        next,
        fixes: fixes
            .into_iter()
            .map(|f| TrackFixOut {
                at: format_rfc3339(f.at),
                received_at: format_rfc3339(f.received_at),
                lat: f.lat,
                lon: f.lon,
                accuracy: f.accuracy_m,
                speed: f.speed_mps,
                heading: f.heading_deg,
            })
            .collect(),
    })
    .into_response())
}

/// The unit of a terminal account, for the formats that name no unit in
/// their path.
fn own_unit(user: &User) -> Result<String, ApiError> {
    user.require_or_field(Action::UpdateStatus)?;
    user.unit_id.clone().ok_or_else(|| {
        ApiError::new(
            Code::Forbidden,
            "positions in this format come from a unit's terminal account (role unit); this account belongs to no unit",
        )
    })
}

/// An OwnTracks message (the app's HTTP mode). Only `location` moves the
/// unit; every other `_type` is answered and changes nothing.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct OwnTracksIn {
    /// `location`, `transition`, `waypoint`, `lwt`, …
    #[serde(rename = "_type")]
    kind: String,
    lat: Option<f64>,
    lon: Option<f64>,
    /// The fix's time, UNIX seconds.
    tst: Option<i64>,
    /// Accuracy, metres.
    acc: Option<f64>,
    /// Speed, km/h.
    vel: Option<f64>,
    /// Course over ground, degrees.
    cog: Option<f64>,
    /// The tracker id (two characters): kept out of the unit's identity,
    /// which is the account's.
    tid: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/owntracks", tag = "units", summary = "A position in the OwnTracks HTTP format, from the unit's account (HTTP Basic or bearer)",
    request_body = OwnTracksIn, responses((status = 200, description = "An empty array (OwnTracks reads messages for the user from it)", body = Vec<Value>)))]
pub(crate) async fn owntracks(
    State(app): AppState,
    user: User,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult {
    let unit = own_unit(&user)?;
    let m: OwnTracksIn = from_value(body, "")?;
    if m.kind != "location" {
        return Ok(Json(Vec::<Value>::new()).into_response());
    }
    if m.tid.as_ref().is_some_and(|t| t.chars().count() > 8) {
        return Err(ApiError::invalid("tid", "a tracker id is a few characters"));
    }
    let need = |v: Option<f64>, f: &str| {
        v.ok_or_else(|| ApiError::invalid(f, format!("a location needs {f}")))
    };
    let tst = m
        .tst
        .ok_or_else(|| ApiError::invalid("tst", "a location needs tst (UNIX seconds)"))?;
    if !(0..=i64::MAX / 1000).contains(&tst) {
        return Err(ApiError::invalid("tst", "UNIX seconds, not negative"));
    }
    let fix = FixReport {
        at: Some(tst * 1000),
        lat: need(m.lat, "lat")?,
        lon: need(m.lon, "lon")?,
        accuracy_m: m.acc,
        speed_mps: m.vel.map(|kmh| kmh / 3.6),
        heading_deg: m.cog,
    };
    app.report_fixes(&unit, &[fix]).await?;
    Ok(Json(Vec::<Value>::new()).into_response())
}

/// A fix time as OsmAnd/Traccar clients send it: UNIX seconds,
/// milliseconds or an RFC 3339 time.
fn osmand_time(raw: &str) -> Result<i64, ApiError> {
    if let Ok(n) = raw.parse::<i64>() {
        // Seconds until the year 5138; milliseconds after.
        return Ok(if n < 100_000_000_000 { n * 1000 } else { n });
    }
    if let Ok(x) = raw.parse::<f64>()
        && x.is_finite()
        && x >= 0.0
    {
        return Ok((x * 1000.0) as i64);
    }
    parse_rfc3339(raw).ok_or_else(|| {
        ApiError::invalid(
            "timestamp",
            format!("{raw:?}: expected UNIX seconds or an RFC 3339 time"),
        )
    })
}

fn osmand_number(params: &HashMap<String, String>, key: &str) -> Result<Option<f64>, ApiError> {
    params
        .get(key)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<f64>()
                .map_err(|_| ApiError::invalid(key, format!("{v:?}: expected a number")))
        })
        .transpose()
}

/// The Traccar client's JSON body.
#[derive(Debug, Deserialize)]
struct TraccarJson {
    location: TraccarLocation,
    device_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TraccarLocation {
    timestamp: Option<Value>,
    coords: TraccarCoords,
}

#[derive(Debug, Deserialize)]
struct TraccarCoords {
    latitude: f64,
    longitude: f64,
    accuracy: Option<f64>,
    /// Metres per second (the query form's `speed` is knots).
    speed: Option<f64>,
    heading: Option<f64>,
}

#[utoipa::path(method(get, post), path = "/api/v1/osmand", tag = "units", summary = "A position in the OsmAnd/Traccar format (query string: id, lat, lon, timestamp, speed in knots, bearing, accuracy; or the Traccar client's JSON), from the unit's account",
    responses((status = 200, description = "Recorded")))]
pub(crate) async fn osmand(
    State(app): AppState,
    user: User,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let unit = own_unit(&user)?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let mut params: HashMap<String, String> =
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let (device, fix) = if json && !body.is_empty() {
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(Code::MalformedJson, e.to_string()))?;
        let t: TraccarJson = from_value(v, "")?;
        let at = match &t.location.timestamp {
            None => None,
            Some(Value::String(s)) => Some(osmand_time(s)?),
            Some(Value::Number(n)) => Some(osmand_time(&n.to_string())?),
            Some(_) => {
                return Err(ApiError::invalid(
                    "location.timestamp",
                    "expected an RFC 3339 time or UNIX seconds",
                ));
            }
        };
        let c = t.location.coords;
        (
            t.device_id,
            FixReport {
                at,
                lat: c.latitude,
                lon: c.longitude,
                accuracy_m: c.accuracy,
                speed_mps: c.speed.filter(|s| *s >= 0.0),
                heading_deg: c.heading.filter(|h| *h >= 0.0),
            },
        )
    } else {
        if !body.is_empty() {
            // Some clients POST the same fields as a form.
            params.extend(form_urlencoded::parse(&body).into_owned());
        }
        let need = |k: &str| {
            osmand_number(&params, k)?
                .ok_or_else(|| ApiError::invalid(k, format!("an OsmAnd report needs {k}")))
        };
        (
            params.get("id").or(params.get("deviceid")).cloned(),
            FixReport {
                at: params
                    .get("timestamp")
                    .filter(|t| !t.is_empty())
                    .map(|t| osmand_time(t))
                    .transpose()?,
                lat: need("lat")?,
                lon: need("lon")?,
                accuracy_m: osmand_number(&params, "accuracy")?,
                speed_mps: osmand_number(&params, "speed")?.map(|kn| kn * 0.514_444),
                heading_deg: osmand_number(&params, "bearing")?,
            },
        )
    };
    if let Some(d) = device
        && !d.eq_ignore_ascii_case(&unit)
    {
        return Err(ApiError::new(
            Code::Forbidden,
            format!("device id {d:?} is not this account's unit {unit:?}; set the client's device identifier to {unit}"),
        )
        .field("id"));
    }
    app.report_fixes(&unit, &[fix]).await?;
    Ok(axum::http::StatusCode::OK.into_response())
}

/// What a terminal is told about reporting.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TerminalSettingsOut {
    /// Send a fix at least this often while moving, seconds.
    moving_every_s: u32,
    /// … or after this many metres, whichever comes first.
    moving_every_m: u32,
    /// Send a fix this often while stopped, seconds.
    stopped_every_s: u32,
    /// An order not acknowledged after this many seconds is alerted.
    ack_timeout_s: u32,
    /// How far ahead of the server a device's clock may be, seconds.
    device_ahead_s: i64,
    /// The server's time now (RFC 3339), for a device to check its clock.
    server_time: String,
}

#[utoipa::path(get, path = "/api/v1/terminal/settings", tag = "units", summary = "The reporting rate terminals are advised to keep, and the server's clock",
    responses((status = 200, description = "OK", body = TerminalSettingsOut)))]
pub(crate) async fn terminal_settings(State(app): AppState, user: User) -> ApiResult {
    user.require_or_field(Action::Read)?;
    let config = &app.settings().dispatch;
    let advice = &config.position_advice;
    Ok(Json(TerminalSettingsOut {
        moving_every_s: advice.moving_every_s,
        moving_every_m: advice.moving_every_m,
        stopped_every_s: advice.stopped_every_s,
        ack_timeout_s: config.ack_timeout_s,
        device_ahead_s: dispatch::engine::DEVICE_AHEAD_MS / 1000,
        server_time: format_rfc3339(app.now()),
    })
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/units/{id}/orders/{seq}/resend", tag = "units", summary = "Send an order to the unit's terminal again (it has not acknowledged it)",
    params(("id" = String, Path, description = "Unit id"), ("seq" = i64, Path, description = "The order's seq")), responses((status = 200, description = "The order as it stands", body = wire::OrderOut)))]
pub(crate) async fn resend_order(
    State(app): AppState,
    user: User,
    Path((id, seq)): Path<(String, String)>,
) -> ApiResult {
    unit_for(&app, &user, Action::Dispatch, &id)?;
    let seq: i64 = seq
        .parse()
        .map_err(|_| ApiError::invalid("seq", format!("order numbers are numbers, got {seq:?}")))?;
    let order = app
        .store()
        .unit_order(&id, seq)
        .await?
        .ok_or_else(|| ApiError::not_found("order", seq))?;
    if order.acked_at.is_some() {
        return Err(ApiError::new(
            Code::Conflict,
            format!("order {seq} was acknowledged already; nothing to resend"),
        ));
    }
    crate::api::as_user(&app, &user, |e, now, actor| {
        e.resend(now, actor, &id, seq, order.incident_id)
            .map(|ch| ((), ch))
    })
    .await?;
    Ok(Json(wire::OrderOut::from(&order)).into_response())
}

/// A message to or from a unit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageIn {
    /// 1 to 500 characters.
    text: String,
    /// The incident it is about.
    incident_id: Option<i64>,
    /// A terminal's key for this message (1 to 200 characters): a retry
    /// with it sends nothing new and answers the messages sent.
    idempotency_key: Option<String>,
}

/// A message in a unit's conversation with the command centre.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MessageOut {
    /// Its event's seq (for a message to the unit, also its order's).
    seq: i64,
    at: String,
    /// `to_unit` (from the command centre) or `from_unit`.
    direction: &'static str,
    /// Who wrote it.
    actor: String,
    unit_id: String,
    incident_id: Option<i64>,
    text: String,
}

impl MessageOut {
    fn of(e: &dispatch::Event) -> Option<MessageOut> {
        let (direction, text) = match &e.kind {
            dispatch::EventKind::MessageToUnit { text } => ("to_unit", text),
            dispatch::EventKind::MessageFromUnit { text } => ("from_unit", text),
            _ => return None,
        };
        Some(MessageOut {
            seq: e.seq,
            at: format_rfc3339(e.at),
            direction,
            actor: e.actor.clone(),
            unit_id: e.unit_id.clone().unwrap_or_default(),
            incident_id: e.incident_id,
            text: text.clone(),
        })
    }
}

/// Messages, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MessagesOut {
    messages: Vec<MessageOut>,
}

fn messages_out(events: &[dispatch::Event]) -> MessagesOut {
    MessagesOut {
        messages: events.iter().filter_map(MessageOut::of).collect(),
    }
}

/// The incident a message is about, when the writer may see it.
fn message_incident(app: &crate::App, user: &User, id: Option<i64>) -> Result<(), ApiError> {
    if let Some(id) = id
        && app.view(user).incident(id).is_none()
    {
        return Err(ApiError::invalid(
            "incident_id",
            format!("unknown incident {id}"),
        ));
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/units/{id}/messages", tag = "units", summary = "A message in the unit's conversation: from its terminal to the command centre, or from a dispatcher to the unit (an order it acknowledges)",
    params(("id" = String, Path, description = "Unit id")), request_body = MessageIn, responses((status = 201, description = "Sent", body = MessagesOut)))]
pub(crate) async fn message_unit(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MessageIn>,
) -> ApiResult {
    let from_unit = user.is_unit();
    unit_for(
        &app,
        &user,
        if from_unit {
            Action::UpdateStatus
        } else {
            Action::Dispatch
        },
        &id,
    )?;
    message_incident(&app, &user, b.incident_id)?;
    let events = crate::api::as_user(&app, &user, |e, now, actor| {
        e.message(
            now,
            actor,
            dispatch::Message {
                unit_ids: std::slice::from_ref(&id),
                from_unit,
                text: &b.text,
                incident_id: b.incident_id,
                key: b.idempotency_key.as_deref(),
            },
        )
    })
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(messages_out(&events))).into_response())
}

/// A message to every unit of a station.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StationMessageIn {
    /// The station whose units (by home station) receive it.
    station_id: String,
    /// 1 to 500 characters.
    text: String,
    /// The incident it is about.
    incident_id: Option<i64>,
    /// A key for this message (1 to 200 characters): a retry with it sends
    /// nothing new.
    idempotency_key: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/messages", tag = "units", summary = "A message from the command centre to every unit of a station (one order per unit)",
    request_body = StationMessageIn, responses((status = 201, description = "Sent, one per unit", body = MessagesOut)))]
pub(crate) async fn message_station(
    State(app): AppState,
    user: User,
    ApiJson(b): ApiJson<StationMessageIn>,
) -> ApiResult {
    user.require(Action::Dispatch)?;
    message_incident(&app, &user, b.incident_id)?;
    let units: Vec<String> = {
        let view = app.view(&user);
        if !view.covers(&b.station_id) {
            return Err(ApiError::invalid(
                "station_id",
                format!("{:?} is not a station in your jurisdiction", b.station_id),
            ));
        }
        view.units()
            .filter(|u| u.home_station == b.station_id)
            .map(|u| u.id.clone())
            .collect()
    };
    if units.is_empty() {
        return Err(ApiError::invalid(
            "station_id",
            format!("station {:?} has no units", b.station_id),
        ));
    }
    let events = crate::api::as_user(&app, &user, |e, now, actor| {
        e.message(
            now,
            actor,
            dispatch::Message {
                unit_ids: &units,
                from_unit: false,
                text: &b.text,
                incident_id: b.incident_id,
                key: b.idempotency_key.as_deref(),
            },
        )
    })
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(messages_out(&events))).into_response())
}

/// `GET /api/v1/units/{id}/messages`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct MessagesQuery {
    /// Only messages after this seq (default 0).
    after: Option<i64>,
    /// At most this many, 1..=500 (default 100).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/units/{id}/messages", tag = "units", summary = "The unit's conversation with the command centre, oldest first",
    params(("id" = String, Path, description = "Unit id"), MessagesQuery), responses((status = 200, description = "OK", body = MessagesOut)))]
pub(crate) async fn unit_messages(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    Query(q): Query<MessagesQuery>,
) -> ApiResult {
    user.require_or_field(Action::Read)?;
    visible_unit(&app, &user, &id)?;
    let limit = bounded("limit", q.limit, 100, 1..=500)?;
    let events = app
        .store()
        .unit_messages(&id, q.after.unwrap_or(0), limit)
        .await?;
    Ok(Json(messages_out(&events)).into_response())
}

/// Who is on board.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CrewIn {
    /// Names or badge numbers, 1 to 12.
    names: Vec<String>,
    /// A terminal's key for this change (1 to 200 characters): a retry
    /// with it changes nothing.
    idempotency_key: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/units/{id}/crew", tag = "units", summary = "The crew logged on to the unit's terminal (its crew count follows)",
    params(("id" = String, Path, description = "Unit id")), request_body = CrewIn, responses((status = 200, description = "The unit", body = wire::UnitOut)))]
pub(crate) async fn put_crew(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CrewIn>,
) -> ApiResult {
    unit_for(&app, &user, Action::UpdateStatus, &id)?;
    let unit = crate::api::as_user(&app, &user, |e, now, actor| {
        e.set_crew(now, actor, &id, &b.names, b.idempotency_key.as_deref())
    })
    .await?;
    Ok(Json(wire::UnitOut::from(&unit)).into_response())
}
