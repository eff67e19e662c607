//! Short reports from the scene, written on a unit's terminal, with photos:
//! stored by pingan with the incident, size-limited and type-checked before
//! anything is stored, and audited with a reason whenever a photo is read.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dispatch::time::{format_rfc3339, parse_rfc3339};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::api::{AppState, as_user, parse_id, visible_incident};
use crate::auth::{Action, User};
use crate::error::{ApiError, ApiJson, Code, Path, Query};
use app::Refusal;

type ApiResult = Result<Response, ApiError>;

/// The largest photo accepted, bytes (a phone's JPEG at its usual size).
pub const PHOTO_LIMIT: usize = 5 * 1024 * 1024;
/// Photos per report.
const MAX_PHOTOS: i64 = 10;
/// The longest report text, characters.
const MAX_TEXT: usize = 2000;

/// A report from the scene.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportIn {
    /// What the unit found and did, 1 to 2000 characters.
    text: String,
    /// The device's time (RFC 3339; default: when received).
    at: Option<String>,
    /// A retry with the same key answers the same report (it is its id).
    idempotency_key: Option<String>,
}

/// A photo of a report, without its bytes.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PhotoOut {
    n: i64,
    content_type: String,
    size: i64,
    sha256: String,
    /// Where to read it (with `?reason=`; every read is audited).
    url: String,
}

/// A report as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReportOut {
    id: String,
    incident_id: i64,
    unit_id: Option<String>,
    author: String,
    /// The device's time.
    at: String,
    received_at: String,
    text: String,
    photos: Vec<PhotoOut>,
}

impl From<&store::FieldReport> for ReportOut {
    fn from(r: &store::FieldReport) -> Self {
        ReportOut {
            id: r.id.clone(),
            incident_id: r.incident_id,
            unit_id: r.unit_id.clone(),
            author: r.author.clone(),
            at: format_rfc3339(r.at),
            received_at: format_rfc3339(r.received_at),
            text: r.text.clone(),
            photos: r
                .photos
                .iter()
                .map(|p| PhotoOut {
                    n: p.n,
                    content_type: p.content_type.clone(),
                    size: p.size,
                    sha256: p.sha256.clone(),
                    url: format!(
                        "/api/v1/incidents/{}/reports/{}/photos/{}",
                        r.incident_id, r.id, p.n
                    ),
                })
                .collect(),
        }
    }
}

/// An incident's reports.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReportsOut {
    reports: Vec<ReportOut>,
}

fn incident_of(app: &crate::App, user: &User, raw: &str) -> Result<i64, ApiError> {
    user.require_or_field(Action::Read)?;
    let id = parse_id(raw)?;
    visible_incident(app, user, id)?;
    Ok(id)
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/reports", tag = "incidents", summary = "A short report from the scene (a unit's terminal or a dispatcher); photos follow with PUT",
    params(("id" = i64, Path, description = "Incident id")), request_body = ReportIn, responses((status = 201, description = "Filed (or the same report again for a retried key)", body = ReportOut)))]
pub(crate) async fn file_report(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReportIn>,
) -> ApiResult {
    user.require_or_field(Action::UpdateStatus)?;
    let incident = parse_id(&id)?;
    visible_incident(&app, &user, incident)?;
    let text = b.text.trim().to_string();
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid(
            "text",
            format!("a report is 1 to {MAX_TEXT} characters"),
        ));
    }
    let now = app.now();
    let at = match b.at.as_deref() {
        None => now,
        Some(raw) => parse_rfc3339(raw).ok_or_else(|| {
            ApiError::invalid("at", format!("{raw:?}: expected an RFC 3339 time"))
        })?,
    };
    if at > now + dispatch::engine::DEVICE_AHEAD_MS {
        return Err(ApiError::invalid(
            "at",
            "the device's time is ahead of the server's: check its clock",
        ));
    }
    let key = match b.idempotency_key {
        Some(k)
            if k.is_empty()
                || k.len() > 100
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) =>
        {
            return Err(ApiError::invalid(
                "idempotency_key",
                "1 to 100 letters, digits, '-', '_' or '.'",
            ));
        }
        Some(k) => k,
        None => crate::auth::new_token()[..24].to_string(),
    };
    let report_id = format!("{incident}-{key}");
    if let Some(existing) = app.store().report(&report_id).await? {
        return Ok((StatusCode::OK, Json(ReportOut::from(&existing))).into_response());
    }
    let stored = app
        .store()
        .put_report(&store::FieldReport {
            id: report_id.clone(),
            incident_id: incident,
            unit_id: user.unit_id.clone(),
            author: user.username.clone(),
            at,
            received_at: now,
            text,
            photos: Vec::new(),
        })
        .await?;
    let unit = user.unit_id.clone();
    as_user(&app, &user, |e, now, actor| {
        e.report_filed(now, actor, incident, unit.as_deref(), &report_id)
            .map(|ch| ((), ch))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(ReportOut::from(&stored))).into_response())
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/reports", tag = "incidents", summary = "The reports from the scene of an incident, oldest first (photos listed, not sent)",
    params(("id" = i64, Path, description = "Incident id")), responses((status = 200, description = "OK", body = ReportsOut)))]
pub(crate) async fn list_reports(
    State(app): AppState,
    user: User,
    Path(id): Path<String>,
) -> ApiResult {
    let incident = incident_of(&app, &user, &id)?;
    let reports = app.store().reports(incident, 200).await?;
    Ok(Json(ReportsOut {
        reports: reports.iter().map(ReportOut::from).collect(),
    })
    .into_response())
}

/// The image type its first bytes show, if it is one pingan keeps.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

fn report_in(
    app: &crate::App,
    user: &User,
    incident: &str,
    report: &str,
) -> Result<(i64, String), ApiError> {
    let incident = incident_of(app, user, incident)?;
    if !report.starts_with(&format!("{incident}-")) {
        return Err(ApiError::not_found("report", report));
    }
    Ok((incident, report.to_string()))
}

fn photo_number(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| (1..=MAX_PHOTOS).contains(n))
        .ok_or_else(|| {
            ApiError::invalid(
                "n",
                format!("photos are numbered 1 to {MAX_PHOTOS}, got {raw:?}"),
            )
        })
}

#[utoipa::path(put, path = "/api/v1/incidents/{id}/reports/{report}/photos/{n}", tag = "incidents", summary = "Photo n (1..10) of a report: the raw image as the body (image/jpeg, image/png or image/webp, at most 5 MB); the same photo again changes nothing",
    params(("id" = i64, Path, description = "Incident id"), ("report" = String, Path, description = "Report id"), ("n" = i64, Path, description = "Photo number")),
    responses((status = 201, description = "Stored", body = PhotoOut), (status = 200, description = "Already stored (a retry)", body = PhotoOut)))]
pub(crate) async fn put_photo(
    State(app): AppState,
    user: User,
    Path((incident, report, n)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    user.require_or_field(Action::UpdateStatus)?;
    let (incident, report) = report_in(&app, &user, &incident, &report)?;
    let n = photo_number(&n)?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if !["image/jpeg", "image/png", "image/webp"].contains(&declared.as_str()) {
        return Err(ApiError::new(
            Code::UnsupportedMediaType,
            format!("send the photo as image/jpeg, image/png or image/webp, not {declared:?}"),
        ));
    }
    if body.len() > PHOTO_LIMIT {
        return Err(ApiError::new(
            Code::PayloadTooLarge,
            format!("a photo is at most {} MB", PHOTO_LIMIT / 1024 / 1024),
        ));
    }
    match sniff(&body) {
        Some(found) if found == declared => {}
        found => {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                format!(
                    "the body is not a {declared} image (its bytes read as {})",
                    found.unwrap_or("no image type pingan keeps")
                ),
            ));
        }
    }
    let owner = app
        .store()
        .report(&report)
        .await?
        .filter(|r| r.incident_id == incident)
        .ok_or_else(|| ApiError::not_found("report", &report))?;
    if user.is_unit() && owner.unit_id != user.unit_id {
        return Err(ApiError::new(
            Code::Forbidden,
            "only the report's own unit adds its photos",
        ));
    }
    let sha256 = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let meta = store::PhotoMeta {
        n,
        content_type: declared,
        size: body.len() as i64,
        sha256: sha256.clone(),
    };
    let before = owner.photos.iter().any(|p| p.n == n);
    let stored = app
        .store()
        .put_photo(&report, &meta, app.now(), &body)
        .await?;
    if stored.sha256 != sha256 {
        return Err(ApiError::new(
            Code::Conflict,
            format!(
                "photo {n} of this report is another image; send a new photo with the next number"
            ),
        )
        .field("n"));
    }
    let out = PhotoOut {
        url: format!("/api/v1/incidents/{incident}/reports/{report}/photos/{n}"),
        n,
        content_type: stored.content_type,
        size: stored.size,
        sha256,
    };
    let code = if before {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((code, Json(out)).into_response())
}

/// Why a photo is read.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PhotoQuery {
    /// Why it is read (audited with the reader's name).
    reason: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/reports/{report}/photos/{n}", tag = "incidents", summary = "A report's photo; every read is audited with its reason",
    params(("id" = i64, Path, description = "Incident id"), ("report" = String, Path, description = "Report id"), ("n" = i64, Path, description = "Photo number"), PhotoQuery),
    responses((status = 200, description = "The image")))]
pub(crate) async fn get_photo(
    State(app): AppState,
    user: User,
    Path((incident, report, n)): Path<(String, String, String)>,
    Query(q): Query<PhotoQuery>,
) -> ApiResult {
    let (_, report) = report_in(&app, &user, &incident, &report)?;
    let n = photo_number(&n)?;
    let reason = q
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(
                "reason",
                "say why the photo is read (?reason=…): every read is audited",
            )
        })?;
    // Audited before anything is sent.
    app.store()
        .audit(&store::AuditEntry {
            at: app.now(),
            actor: user.username.clone(),
            action: "read".into(),
            kind: "report_photo".into(),
            record_id: format!("{report}/{n}"),
            reason: Some(reason),
        })
        .await?;
    let (content_type, bytes) = app
        .store()
        .photo(&report, n)
        .await?
        .ok_or_else(|| ApiError::not_found("photo", format!("{report}/{n}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
