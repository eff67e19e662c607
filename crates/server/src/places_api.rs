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
use crate::error::{ApiError, Path, Query};
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
    p: &places::Place,
    key: String,
    meters: Option<f64>,
    edits: Option<u8>,
) -> FoundPlaceOut {
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
        id: key,
        label: p.label.clone(),
        kind: p.kind.as_str(),
        lat: p.lat,
        lon: p.lon,
        meters: meters.map(|m| (m * 10.0).round() / 10.0),
        edits,
        approximate: p.approximate,
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
            let p = h.place(&index);
            let meters = near.map(|n| p.meters_from(n.0, n.1));
            place_out(&app, p, h.key(&index), meters, Some(h.edits))
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
        .map(|(id, m)| {
            let p = index.place(id);
            place_out(&app, p, p.key(), Some(m), None)
        })
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
    let (lat, lon, label, place_id, address_code) = match b.place_id.as_deref() {
        Some(key) => {
            let index = app.places();
            let p = index.resolve(key).ok_or_else(|| {
                ApiError::invalid(
                    "place_id",
                    format!("{key:?} is not a place of the current index: search again and pick a result"),
                )
            })?;
            (
                p.lat,
                p.lon,
                Some(p.label.clone()),
                Some(key.to_string()),
                p.code.clone(),
            )
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
            (lat, lon, None, None, None)
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
        idempotency_key: b.idempotency_key,
        location: Some(Location {
            verified,
            source,
            datum: given.as_str().into(),
            radius_m: b.radius_m,
            label,
            place_id,
            address_code,
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

/// `GET /api/v1/places/history`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// A search result's `id` (its position and address are used).
    place_id: Option<String>,
    /// Latitude (WGS-84), when no `place_id`.
    lat: Option<f64>,
    /// Longitude (WGS-84), when no `place_id`.
    lon: Option<f64>,
    /// Earlier incidents within this many metres, 5..=1000 (default 50).
    radius_m: Option<f64>,
    /// Over this many days, 1..=3650 (default 90).
    days: Option<u32>,
}

/// Earlier incidents listed at most.
const PRIOR_LISTED: usize = 20;

/// Open incidents are looked for this far (a unit already near is worth knowing).
const OPEN_RADIUS_M: f64 = 500.0;

/// Text as compared across registries: folded, without spaces or punctuation.
fn address_key(s: &str) -> String {
    places::text::fold(s)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Whether a registry's address names the place: one contains the other
/// (a standard address in full holds the road and number a ledger keeps).
fn same_address(registered: &str, label_key: &str) -> bool {
    let r = address_key(registered);
    let shorter = r.chars().count().min(label_key.chars().count());
    shorter >= 4 && (label_key.contains(&r) || r.contains(label_key))
}

#[utoipa::path(get, path = "/api/v1/places/history", tag = "places", summary = "A place's history at call entry (研判比对): earlier incidents within radius_m (default 50) over days (default 90), open incidents near it, regulated venues and a count of key persons registered at its address",
    params(HistoryQuery), responses((status = 200, description = "OK", body = wire::PlaceHistoryOut)))]
pub(crate) async fn history(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<HistoryQuery>,
) -> ApiResult {
    user.require(Action::Read)?;
    let radius_m = crate::error::bounded("radius_m", q.radius_m, 50.0, 5.0..=1000.0)?;
    let days = crate::error::bounded("days", q.days, 90, 1..=3650)?;
    let (lat, lon, label, address_code) = match q.place_id.as_deref() {
        Some(key) => {
            let index = app.places();
            let p = index.resolve(key).ok_or_else(|| {
                ApiError::invalid(
                    "place_id",
                    format!("{key:?} is not a place of the current index"),
                )
            })?;
            (p.lat, p.lon, Some(p.label.clone()), p.code.clone())
        }
        None => {
            let (Some(lat), Some(lon)) = (q.lat, q.lon) else {
                let field = if q.lat.is_none() { "lat" } else { "lon" };
                return Err(ApiError::invalid(field, "give place_id, or lat and lon"));
            };
            in_range(lat, lon, "lat")?;
            (lat, lon, None, None)
        }
    };
    history_at(
        &app,
        &user,
        Around {
            lat,
            lon,
            label,
            address_code,
            radius_m,
            days,
            sent_here: false,
        },
    )
    .await
}

/// The place a history is read around.
struct Around {
    lat: f64,
    lon: f64,
    /// Its address, for the registries' cautions.
    label: Option<String>,
    /// Its standard address's code: the registers' records at it are
    /// found by it, not by their text.
    address_code: Option<String>,
    radius_m: f64,
    days: u32,
    /// A unit's terminal reading the place it is sent to: it learns what
    /// happened there (kinds and times, no callers) whichever
    /// jurisdiction's, within a radius kept small.
    sent_here: bool,
}

/// `GET /api/v1/incidents/{id}/history`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentHistoryQuery {
    /// Earlier incidents within this many metres, 5..=300 (default 50).
    radius_m: Option<f64>,
    /// Over this many days, 1..=3650 (default 90).
    days: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/history", tag = "places", summary = "The history of an incident's place (as at call entry, without the incident itself): for the dispatcher, and for the terminal of a unit sent there",
    params(("id" = i64, Path, description = "Incident id"), IncidentHistoryQuery), responses((status = 200, description = "OK", body = wire::PlaceHistoryOut)))]
pub(crate) async fn incident_history(
    State(app): crate::api::AppState,
    user: User,
    Path(id): Path<String>,
    Query(q): Query<IncidentHistoryQuery>,
) -> ApiResult {
    user.require_or_field(Action::Read)?;
    let radius_m = crate::error::bounded("radius_m", q.radius_m, 50.0, 5.0..=300.0)?;
    let days = crate::error::bounded("days", q.days, 90, 1..=3650)?;
    let incident = crate::api::visible_incident(&app, &user, crate::api::parse_id(&id)?)?;
    let label = incident
        .location
        .as_ref()
        .and_then(|l| l.label.clone())
        .or_else(|| incident.address.clone());
    let around = Around {
        lat: incident.lat,
        lon: incident.lon,
        label,
        address_code: incident
            .location
            .as_ref()
            .and_then(|l| l.address_code.clone()),
        radius_m,
        days,
        sent_here: user.is_unit(),
    };
    let mut out = history_out(&app, &user, around).await?;
    out.prior.retain(|p| p.id != incident.id);
    out.open_nearby.retain(|p| p.id != incident.id);
    out.prior_count = out.prior_count.saturating_sub(1);
    Ok(Json(out).into_response())
}

async fn history_at(app: &App, user: &User, around: Around) -> ApiResult {
    Ok(Json(history_out(app, user, around).await?).into_response())
}

async fn history_out(
    app: &App,
    user: &User,
    around: Around,
) -> Result<wire::PlaceHistoryOut, ApiError> {
    let Around {
        lat,
        lon,
        label,
        address_code,
        radius_m,
        days,
        sent_here,
    } = around;
    let sees = |i: &dispatch::Incident| sent_here || user.sees(i);
    let now = app.now();
    let dlat = radius_m / 111_320.0;
    let dlon = dlat / lat.to_radians().cos().max(0.01);
    let since = now - i64::from(days) * dispatch::time::DAY_MS;
    // The box is searched in the database; the circle and the scope here.
    let found = app
        .store()
        .incidents_in_box(
            (lat - dlat, lat + dlat),
            (lon - dlon, lon + dlon),
            since,
            2000,
        )
        .await
        .map_err(ApiError::store)?;
    let near = |i: &dispatch::Incident| places::datum::meters((lat, lon), (i.lat, i.lon));
    let out = |i: &dispatch::Incident| wire::NearbyIncidentOut {
        id: i.id,
        kind: i.kind.clone(),
        status: i.status.as_str(),
        created_at: dispatch::time::format_rfc3339(i.created_at),
        meters: (near(i) * 10.0).round() / 10.0,
        address: i.address.clone(),
    };
    let prior: Vec<&dispatch::Incident> = found
        .iter()
        .filter(|i| sees(i) && i.merged_into.is_none() && near(i) <= radius_m)
        .collect();
    let mut open: Vec<wire::NearbyIncidentOut> = app.read(|e| {
        e.incidents()
            .filter(|i| sees(i) && i.status.is_open() && near(i) <= OPEN_RADIUS_M)
            .map(out)
            .collect()
    });
    open.sort_by(|a, b| a.meters.total_cmp(&b.meters).then(a.id.cmp(&b.id)));
    let at = Cautioned {
        lat,
        lon,
        sent_here,
        label_key: label.as_deref().map(address_key),
        address_code: address_code.clone(),
    };
    let (venues, key_persons, registered) = cautions(app, user, at).await?;
    Ok(wire::PlaceHistoryOut {
        lat,
        lon,
        label,
        radius_m,
        days,
        prior_count: prior.len(),
        prior: prior.iter().take(PRIOR_LISTED).map(|i| out(i)).collect(),
        open_nearby: open,
        open_radius_m: OPEN_RADIUS_M,
        address_code,
        registered,
        venues,
        key_persons,
    })
}

/// What the registries' cautions are read for.
struct Cautioned {
    lat: f64,
    lon: f64,
    sent_here: bool,
    /// The place's address as compared across registries ([`address_key`]).
    label_key: Option<String>,
    address_code: Option<String>,
}

/// Venues listed at a place at most.
const VENUES_LISTED: i64 = 50;

/// The registries' caution flags at an address: the regulated venues
/// there, how many key persons live there, and how many records of each
/// register are at its standard address (counts: no one's data leaves the
/// registers this way; the identity check by `address_code` shows them,
/// audited). A standard address's records are found by its code in the
/// database; a place without one (a map's address) by its text, reading
/// only the place's community.
async fn cautions(
    app: &App,
    user: &User,
    at: Cautioned,
) -> Result<(Vec<wire::VenueAtOut>, usize, Vec<wire::RegisteredAtOut>), ApiError> {
    let nothing = || Ok((Vec::new(), 0, Vec::new()));
    let Some(place) = app.jurisdictions().resolve(LatLon {
        lat: at.lat,
        lon: at.lon,
    }) else {
        return nothing();
    };
    if !at.sent_here && !user.sees_place(&place) {
        return nothing();
    }
    let store = app.store();
    let venue_kind = community::ledgers::ledger("venue").map_or("venue", |l| l.register.kind);
    let venue_out = |e: &community::ledgers::Entry| {
        let text = |k: &str| {
            e.fields
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        wire::VenueAtOut {
            id: e.id.clone(),
            name: text("name"),
            category: text("category"),
            address: text("address"),
        }
    };
    let entry = |doc: &str| serde_json::from_str::<community::ledgers::Entry>(doc).ok();
    let mut venues = Vec::new();
    let mut registered = Vec::new();
    if let Some(code) = &at.address_code {
        for r in store
            .records_at(code, Some(venue_kind), None, VENUES_LISTED)
            .await
            .map_err(ApiError::store)?
        {
            venues.extend(entry(&r.doc).as_ref().map(venue_out));
        }
        registered = store
            .registered_at(code)
            .await
            .map_err(ApiError::store)?
            .into_iter()
            .map(|(register, count)| wire::RegisteredAtOut { register, count })
            .collect();
    }
    let (Some(community), Some(station)) = (place.community_id, place.station_id) else {
        return Ok((venues, 0, registered));
    };
    let Some(label_key) = at.label_key else {
        return Ok((venues, 0, registered));
    };
    if at.address_code.is_none() {
        for r in store
            .records_in(venue_kind, &community)
            .await
            .map_err(ApiError::store)?
        {
            if let Some(e) = entry(&r.doc)
                && same_address(
                    e.fields
                        .get("address")
                        .and_then(|v| v.as_str())
                        .unwrap_or(""),
                    &label_key,
                )
            {
                venues.push(venue_out(&e));
            }
        }
    }
    // Key persons keep an address as text only.
    let mut persons = std::collections::BTreeSet::new();
    for j in [&community, &station] {
        for r in store
            .records_in(community::ledger::KEY_PERSONS.kind, j)
            .await
            .map_err(ApiError::store)?
        {
            if let Ok(p) = serde_json::from_str::<community::ledger::KeyPerson>(&r.doc)
                && p.community_id == community
                && p.address
                    .as_deref()
                    .is_some_and(|a| same_address(a, &label_key))
            {
                persons.insert(p.id);
            }
        }
    }
    Ok((venues, persons.len(), registered))
}

/// `GET /api/v1/route`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RouteQuery {
    /// Start, `lat,lon` (WGS-84).
    from: Option<String>,
    /// Destination, `lat,lon` (WGS-84).
    to: Option<String>,
    /// The steps' instructions in `en` (default) or `zh`.
    lang: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/route", tag = "places", summary = "The fastest drive between two points with turn-by-turn steps (turn, street name, metres, seconds), to guide a unit",
    params(RouteQuery), responses((status = 200, description = "The route", body = wire::RouteOut)))]
pub(crate) async fn route(
    State(app): crate::api::AppState,
    user: User,
    Query(q): Query<RouteQuery>,
) -> ApiResult {
    // A terminal is guided to its incident.
    user.require_or_field(Action::Read)?;
    let point = |s: Option<&str>, field: &str| {
        let s = s.ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("{field} is required: lat,lon such as 41.15,-8.61"),
            )
        })?;
        lat_lon(s, field).map(|(lat, lon)| LatLon { lat, lon })
    };
    let (from, to) = (
        point(q.from.as_deref(), "from")?,
        point(q.to.as_deref(), "to")?,
    );
    let lang = match q.lang.as_deref() {
        None => app::routes::Lang::En,
        Some(s) => app::routes::Lang::parse(s)
            .ok_or_else(|| ApiError::invalid("lang", format!("{s:?}: expected en or zh")))?,
    };
    let plan = tokio::task::spawn_blocking(move || app.route(from, to))
        .await
        .map_err(|e| ApiError::new(crate::error::Code::InternalError, format!("route: {e}")))??;
    Ok(Json(wire::RouteOut::new(plan, lang)).into_response())
}
