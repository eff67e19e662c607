//! Places over the API: search as the call taker types, reverse look-up of
//! a map click or a phone fix, and the location record of a new call
//! (a search result's key, or coordinates in the datum the phone gave).
//! The matching is `places`'; this module reads the parameters, converts
//! datums and names each answer's jurisdiction.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use dispatch::{LatLon, Location, LocationSource, NewIncident};
use places::datum::{self, Datum};
use places::{Index, Kind};
use serde::Deserialize;

use crate::App;
use crate::auth::{Action, User};
use crate::error::{ApiError, Query};
use crate::wire::{self, FoundPlaceOut, NewIncidentBody, PlacesOut, ReadingOut};
use app::Refusal;

type ApiResult = Result<Response, ApiError>;

/// Largest place file accepted: a city's register (a million addresses
/// is some 100 MB of CSV).
pub const IMPORT_LIMIT: usize = 256 << 20;

/// Longest query looked at: a call taker types a few words, not a page.
const MAX_QUERY_CHARS: usize = 200;

/// `GET /api/v1/places/search`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What the call taker typed so far: any words, any order, half a word
    /// at the end, typos; Chinese with or without spaces.
    q: Option<String>,
    /// At most this many results, 1..=50 (default 10).
    limit: Option<usize>,
    /// `lat,lon` (WGS-84): rank nearer places first (default: the centre of
    /// the user's jurisdiction).
    near: Option<String>,
}

/// `GET /api/v1/places/reverse`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReverseQuery {
    /// Latitude, -90..90.
    lat: Option<f64>,
    /// Longitude, -180..180.
    lon: Option<f64>,
    /// The datum of `lat`/`lon`: `wgs84` (default), `gcj02` or `bd09`.
    datum: Option<String>,
}

/// `lat,lon` in a parameter.
fn lat_lon(s: &str, field: &str) -> Result<(f64, f64), ApiError> {
    let bad = || {
        ApiError::invalid(
            field,
            format!("{s:?}: expected lat,lon such as 41.15,-8.61"),
        )
    };
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let (lat, lon) = (
        a.trim().parse::<f64>().map_err(|_| bad())?,
        b.trim().parse::<f64>().map_err(|_| bad())?,
    );
    in_range(lat, lon, field)?;
    Ok((lat, lon))
}

fn in_range(lat: f64, lon: f64, field: &str) -> Result<(), ApiError> {
    let (lat_field, lon_field) = if field == "lat" {
        ("lat", "lon")
    } else {
        (field, field)
    };
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(ApiError::invalid(
            lat_field,
            format!("latitude {lat} out of range: expected -90..90"),
        ));
    }
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(ApiError::invalid(
            lon_field,
            format!("longitude {lon} out of range: expected -180..180"),
        ));
    }
    Ok(())
}

fn parse_datum(s: Option<&str>) -> Result<Datum, ApiError> {
    s.map_or(Ok(Datum::Wgs84), |s| {
        Datum::parse(s).map_err(|_| {
            ApiError::invalid(
                "datum",
                format!("{s:?}: expected wgs84, gcj02 (Amap, Tencent, WeChat) or bd09 (Baidu)"),
            )
        })
    })
}

/// The centre of the user's jurisdiction, to rank places there first.
fn home(app: &App, user: &User) -> Option<(f64, f64)> {
    let j = app.jurisdictions().get(user.scope.as_deref()?)?;
    if let Some([lon, lat]) = j.seat {
        return Some((lat, lon));
    }
    let ring = j.polygon.first()?.first()?;
    let n = ring.len().max(1) as f64;
    Some((
        ring.iter().map(|p| p[1]).sum::<f64>() / n,
        ring.iter().map(|p| p[0]).sum::<f64>() / n,
    ))
}

/// One place as answered, with its jurisdiction.
fn place_out(
    app: &App,
    index: &Index,
    id: u32,
    meters: Option<f64>,
    edits: Option<u8>,
) -> FoundPlaceOut {
    let p = index.place(id);
    let at = app.jurisdictions().resolve(LatLon {
        lat: p.lat,
        lon: p.lon,
    });
    let name = |id: &Option<String>| {
        id.as_deref()
            .and_then(|id| app.jurisdictions().get(id))
            .map(|j| j.name_zh.clone())
    };
    let at = at.unwrap_or_default();
    FoundPlaceOut {
        id: p.key(),
        label: p.label.clone(),
        kind: p.kind.as_str(),
        lat: p.lat,
        lon: p.lon,
        meters: meters.map(|m| (m * 10.0).round() / 10.0),
        edits,
        station: name(&at.station_id),
        community: name(&at.community_id),
        station_id: at.station_id,
        community_id: at.community_id,
        grid_id: at.grid_id,
    }
}

#[utoipa::path(get, path = "/api/v1/places/search", tag = "places", summary = "Find the place a caller names, as the call taker types: addresses, streets, intersections (A & B, A路与B路交叉口), landmarks, communities, stations, markers, standard addresses",
    params(SearchQuery), responses((status = 200, description = "Best first", body = wire::PlacesOut)))]
pub(crate) async fn search(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<SearchQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let limit = crate::error::bounded("limit", q.limit, 10, 1..=50)?;
    let near = match q.near.as_deref() {
        Some(s) => Some(lat_lon(s, "near")?),
        None => home(&app, &user),
    };
    let text: String =
        q.q.unwrap_or_default()
            .chars()
            .take(MAX_QUERY_CHARS)
            .collect();
    let index = app.places();
    let results = index
        .search(&text, near, limit)
        .into_iter()
        .map(|h| {
            let meters = near.map(|n| index.place(h.id).meters_from(n.0, n.1));
            place_out(&app, &index, h.id, meters, Some(h.edits))
        })
        .collect();
    Ok(Json(PlacesOut::found(results)).into_response())
}

#[utoipa::path(get, path = "/api/v1/places/reverse", tag = "places", summary = "What is at a point (a map click, a phone fix): the nearest address, street, intersection, landmark and marker, nearest first, and the point's jurisdiction; in China, which datum lands on a street",
    params(ReverseQuery), responses((status = 200, description = "Nearest first", body = wire::PlacesOut)))]
pub(crate) async fn reverse(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<ReverseQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let (Some(lat), Some(lon)) = (q.lat, q.lon) else {
        let field = if q.lat.is_none() { "lat" } else { "lon" };
        return Err(ApiError::invalid(field, format!("{field} is required")));
    };
    in_range(lat, lon, "lat")?;
    let given = parse_datum(q.datum.as_deref())?;
    let (lat, lon) = datum::convert(given, Datum::Wgs84, lat, lon);
    let index = app.places();
    let results = index
        .reverse(lat, lon)
        .into_iter()
        .map(|(id, m)| place_out(&app, &index, id, Some(m), None))
        .collect();
    let jurisdiction = app
        .jurisdictions()
        .resolve(LatLon { lat, lon })
        .map(|p| wire::JurisdictionsAtOut::new(app.jurisdictions(), &p));
    let readings = readings(&index, given, (q.lat.unwrap_or(lat), q.lon.unwrap_or(lon)));
    Ok(Json(PlacesOut {
        jurisdiction,
        readings,
        ..PlacesOut::found(results)
    })
    .into_response())
}

/// In China, the point as given read in its datum and read as the other
/// likely one (a fix said to be WGS-84 is often GCJ-02, and the reverse),
/// each with its distance to the nearest street. Outside China the datums
/// agree and there is nothing to say.
fn readings(index: &Index, given: Datum, raw: (f64, f64)) -> Vec<ReadingOut> {
    if !datum::in_china(raw.0, raw.1) {
        return Vec::new();
    }
    let other = if given == Datum::Wgs84 {
        Datum::Gcj02
    } else {
        Datum::Wgs84
    };
    [given, other]
        .into_iter()
        .map(|d| {
            let (lat, lon) = datum::convert(d, Datum::Wgs84, raw.0, raw.1);
            ReadingOut {
                datum: d.as_str(),
                lat,
                lon,
                street_m: index
                    .nearest(lat, lon, Some(Kind::Street), 1)
                    .first()
                    .map(|(_, m)| (m * 10.0).round() / 10.0),
            }
        })
        .collect()
}

/// A new call's place: a search result's key (`place_id`), or coordinates
/// in the datum given, with how it was found. Free text with no match is
/// kept unverified, for follow-up.
pub(crate) fn locate(app: &App, b: NewIncidentBody) -> Result<NewIncident, ApiError> {
    let given = parse_datum(b.datum.as_deref())?;
    let source = match b.source.as_deref() {
        None => None,
        Some(s) => Some(LocationSource::parse(s).ok_or_else(|| {
            let all: Vec<&str> = LocationSource::ALL.iter().map(|x| x.as_str()).collect();
            ApiError::invalid(
                "source",
                format!("{s:?}: expected one of {}", all.join(", ")),
            )
        })?),
    };
    if let Some(r) = b.radius_m
        && !(r.is_finite() && (0.0..=100_000.0).contains(&r))
    {
        return Err(ApiError::invalid(
            "radius_m",
            format!("radius_m must be 0..=100000 metres, got {r}"),
        ));
    }
    let (lat, lon, label, place_id) = match b.place_id.as_deref() {
        Some(key) => {
            let index = app.places();
            let id = index.find(key).ok_or_else(|| {
                ApiError::invalid(
                    "place_id",
                    format!("{key:?} is not a place of the current index: search again and pick a result"),
                )
            })?;
            let p = index.place(id);
            (p.lat, p.lon, Some(p.label.clone()), Some(key.to_string()))
        }
        None => {
            let lat = b.lat.ok_or_else(|| {
                ApiError::invalid("lat", "lat and lon are required unless place_id is given")
            })?;
            let lon = b.lon.ok_or_else(|| {
                ApiError::invalid("lon", "lat and lon are required unless place_id is given")
            })?;
            in_range(lat, lon, "lat")?;
            let (lat, lon) = datum::convert(given, Datum::Wgs84, lat, lon);
            (lat, lon, None, None)
        }
    };
    let source = source.unwrap_or(if place_id.is_some() {
        LocationSource::TypedAddress
    } else {
        LocationSource::Coordinates
    });
    // Typed text that matched nothing is the one place nobody confirmed.
    let verified = b
        .verified
        .unwrap_or(place_id.is_some() || source != LocationSource::TypedAddress);
    let address = b.address.filter(|a| !a.trim().is_empty()).or(label.clone());
    Ok(NewIncident {
        kind: b.kind,
        priority: b.priority,
        lat,
        lon,
        address,
        caller_name: b.caller_name,
        caller_phone: b.caller_phone,
        description: b.description,
        location: Some(Location {
            verified,
            source,
            datum: given.as_str().into(),
            radius_m: b.radius_m,
            label,
            place_id,
        }),
    })
}

/// A place file posted as `text/csv`, read by `parse`, replacing the
/// imported places of `kind`.
async fn import(
    app: &App,
    user: &User,
    kind: Kind,
    headers: &axum::http::HeaderMap,
    body: &[u8],
    parse: fn(&str) -> Result<Vec<places::Place>, Vec<places::import::LineError>>,
    header: &str,
) -> ApiResult {
    user.require(Action::Admin)?;
    let text = crate::error::csv_text(
        headers,
        body,
        &format!("the file as text/csv with the header {header}"),
    )?;
    let records = match parse(text) {
        Ok(r) if r.is_empty() => {
            return Err(ApiError::invalid(
                "csv",
                format!(
                    "no rows under the header: a register is replaced whole, so send all of it ({header})"
                ),
            ));
        }
        Ok(r) => r,
        Err(errors) => {
            return Ok(crate::ledgers_api::import_refused(
                format!(
                    "nothing was imported: {} bad line(s), each listed",
                    errors.len()
                ),
                &errors,
            ));
        }
    };
    let imported = records.len();
    let places = app.import_places(user, kind, records).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(wire::PlacesImportedOut {
            kind: kind.as_str(),
            imported,
            places,
        }),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/places/addresses", tag = "places", summary = "Replace the standard address register (标准地址) from text/csv: full_address,lat,lon and optionally code,province,city,county,township,community_id,road,house_number,building,unit,room; all or nothing, every bad line listed with its field (administrators)",
    request_body(content = Object, content_type = "text/csv", description = "CSV, header full_address,lat,lon[,…]"),
    responses((status = 201, description = "Imported", body = wire::PlacesImportedOut), (status = 415, description = "not text/csv"), (status = 422, description = "{code, message, field, errors: [{line, field, message}]}", body = wire::ImportRefusedOut)))]
pub(crate) async fn import_addresses(
    State(app): crate::api::AppState,
    user: User,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult {
    let header = "full_address,lat,lon[,code,province,city,county,township,community_id,road,house_number,building,unit,room]";
    import(
        &app,
        &user,
        Kind::StandardAddress,
        &headers,
        &body,
        places::import::standard_addresses,
        header,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/places/markers", tag = "places", summary = "Replace the location markers (路灯杆/路牌 codes, mile markers) from text/csv: code,lat,lon; all or nothing, every bad line listed (administrators)",
    request_body(content = Object, content_type = "text/csv", description = "CSV, header code,lat,lon"),
    responses((status = 201, description = "Imported", body = wire::PlacesImportedOut), (status = 415, description = "not text/csv"), (status = 422, description = "{code, message, field, errors: [{line, field, message}]}", body = wire::ImportRefusedOut)))]
pub(crate) async fn import_markers(
    State(app): crate::api::AppState,
    user: User,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult {
    import(
        &app,
        &user,
        Kind::Marker,
        &headers,
        &body,
        places::import::markers,
        "code,lat,lon",
    )
    .await
}
